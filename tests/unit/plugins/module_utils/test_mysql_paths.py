# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the writable paths the mysql role reads from mysql_config_overrides."""

from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import mysql_paths as logic


@pytest.mark.parametrize('overrides, paths', [
    ({}, []),
    ({'datadir': '/srv/mysql', 'tmpdir': '/srv/tmp'}, ['/srv/mysql', '/srv/tmp']),
    ({'innodb-log-group-home-dir': '/srv/redo', 'innodb_undo_directory': '/srv/undo'}, ['/srv/redo']),
    ({'log-bin': '/srv/binlog/mysql-bin', 'log_error': '/var/log/db/error.log', 'pid-file': '/run/db/db.pid'},
     ['/srv/binlog', '/var/log/db', '/run/db']),
    ({'relay_log': '/srv/relay/r', 'log_bin_index': '/srv/relay/i'}, ['/srv/relay']),
    # Relative paths, numbers, booleans and options that are no path stay out.
    ({'datadir': 'data', 'max_connections': 500, 'skip_name_resolve': True, 'bind_address': '/x'}, []),
])
def test_override_paths(overrides, paths):
    assert logic.override_paths(overrides) == paths
