# -*- coding: utf-8 -*-
from __future__ import annotations

import hashlib
import os

from ansible_collections.filament.mlflow.plugins.module_utils import controller_file as logic


def test_a_regular_file_has_its_sha256(tmp_path):
    path = tmp_path / 'minio'
    data = os.urandom(3 * (1 << 20) + 17)  # more than one read block
    path.write_bytes(data)
    assert logic.describe(str(path)) == dict(path=str(path), exists=True, regular=True,
                                             sha256=hashlib.sha256(data).hexdigest())


def test_a_symlink_to_a_file_counts_as_the_file(tmp_path):
    (tmp_path / 'real').write_bytes(b'caddy')
    os.symlink(tmp_path / 'real', tmp_path / 'link')
    found = logic.describe(str(tmp_path / 'link'))
    assert found['regular'] and found['sha256'] == hashlib.sha256(b'caddy').hexdigest()


def test_a_directory_a_missing_path_and_a_dangling_link_have_no_sha256(tmp_path):
    os.symlink(tmp_path / 'gone', tmp_path / 'dangling')
    assert logic.describe(str(tmp_path)) == dict(path=str(tmp_path), exists=True, regular=False, sha256='')
    assert logic.describe(str(tmp_path / 'nope')) == dict(path=str(tmp_path / 'nope'), exists=False, regular=False, sha256='')
    assert logic.describe(str(tmp_path / 'dangling'))['exists'] and not logic.describe(str(tmp_path / 'dangling'))['regular']
