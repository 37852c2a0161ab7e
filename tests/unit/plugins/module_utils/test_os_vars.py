# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of which vars/ files of a role apply to a host."""

from __future__ import annotations

from ansible_collections.filament.mlflow.plugins.module_utils import os_vars as logic

DEBIAN_12 = {'os_family': 'Debian', 'distribution': 'Debian', 'distribution_major_version': '12'}
UBUNTU_24 = {'os_family': 'Debian', 'distribution': 'Ubuntu', 'distribution_major_version': '24'}


def test_candidates_go_from_general_to_specific():
    assert logic.candidates(DEBIAN_12) == ['Debian.yml', 'Debian-12.yml']
    assert logic.candidates(UBUNTU_24) == ['Debian.yml', 'Ubuntu.yml', 'Ubuntu-24.yml']
    assert logic.candidates({'os_family': 'RedHat'}) == ['RedHat.yml']
    assert logic.candidates({}) == []


def test_only_files_the_role_has_are_loaded(tmp_path):
    (tmp_path / 'vars').mkdir()
    for name in ('Debian.yml', 'Ubuntu.yml', 'main.yml'):
        (tmp_path / 'vars' / name).write_text('---\n')
    assert logic.existing(str(tmp_path), UBUNTU_24) == [str(tmp_path / 'vars' / 'Debian.yml'), str(tmp_path / 'vars' / 'Ubuntu.yml')]
    assert logic.existing(str(tmp_path), DEBIAN_12) == [str(tmp_path / 'vars' / 'Debian.yml')]
    assert logic.existing(str(tmp_path), {'os_family': 'Suse', 'distribution': 'SLES'}) == []
