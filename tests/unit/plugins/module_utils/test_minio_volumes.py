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


def test_the_env_value_the_role_writes_is_read_back():
    assert logic.parse_env_value('"http://10.0.0.{1...4}:9000/d http://10.0.0.{5...8}:9000/d"') == [
        'http://10.0.0.{1...4}:9000/d', 'http://10.0.0.{5...8}:9000/d']
    assert logic.parse_env_value('') == []


def test_a_formatted_pool_may_only_gain_pools():
    pool = ['http://10.0.0.{1...4}:9000/d']
    assert logic.layout_change([], pool) == ''
    assert logic.layout_change(pool, pool) == ''
    assert logic.layout_change(pool, pool + ['http://10.0.0.{5...8}:9000/d']) == ''
    message = logic.layout_change(pool, ['http://10.0.0.{1...8}:9000/d'])
    assert message.startswith('the pool holds data on http://10.0.0.{1...4}:9000/d; MinIO cannot reshape a pool')
    assert "minio_volumes: ['http://10.0.0.{1...4}:9000/d', '<the new pool>']" in message
    assert logic.layout_change(['/var/lib/minio/data'], pool) != ''
