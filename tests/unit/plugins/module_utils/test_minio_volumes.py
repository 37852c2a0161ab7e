# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of MinIO's volume notation as the minio role expands it."""

from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import minio_volumes as logic


@pytest.mark.parametrize('volumes, paths', [
    (['/var/lib/minio/data'], ['/var/lib/minio/data']),
    (['/srv/d{1...3}'], ['/srv/d1', '/srv/d2', '/srv/d3']),
    (['/srv/d{01...03}'], ['/srv/d01', '/srv/d02', '/srv/d03']),
    (['/srv/d{1...10}'], ['/srv/d%d' % n for n in range(1, 11)]),
    (['/srv/d{8...010}'], ['/srv/d008', '/srv/d009', '/srv/d010']),
    (['/srv/{1...2}/d{1...2}'], ['/srv/1/d1', '/srv/1/d2', '/srv/2/d1', '/srv/2/d2']),
    # The host part is another host's business; each path once.
    (['http://minio{1...4}.lab:9000/srv/data{1...2}'], ['/srv/data1', '/srv/data2']),
    (['/a', '/a', '/b'], ['/a', '/b']),
])
def test_local_paths(volumes, paths):
    assert logic.local_paths(volumes) == paths


@pytest.mark.parametrize('volume, message', [
    ('/srv/d{3...1}', 'the range {3...1} runs backwards'),
    ('/srv/d{a...c}', 'holds a brace that is not a decimal range'),
    ('/srv/d{1..3}', 'holds a brace'),
    ('/srv/d{1...3', 'holds a brace'),
])
def test_problems_name_the_volume(volume, message):
    found = logic.problems(['/ok', volume])
    assert len(found) == 1 and found[0].startswith(volume + ': ') and message in found[0]
    with pytest.raises(logic.InvalidVolume):
        logic.local_paths([volume])


def test_hosts_may_use_ranges_the_role_does_not_expand():
    assert logic.problems(['http://minio{a...d}.lab:9000/srv/data']) == []
