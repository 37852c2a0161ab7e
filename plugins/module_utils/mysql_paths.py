# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which directories the database server must be able to write, read from its [mysqld] options.

The mysql role runs the server under ProtectSystem=strict: it may write only to the vendor's
paths and to any directory an absolute path in mysql_config_overrides points into: a directory
option (datadir, tmpdir, any *_dir) itself, a file option (any *_file, the binary, relay and error
logs) its parent.
"""

from __future__ import annotations

import posixpath

_FILE_OPTIONS = frozenset(('log_bin', 'log_error', 'relay_log', 'log_bin_index'))


def override_paths(overrides):
    """The writable directories the options in overrides need, each once, in the order given."""
    paths = []
    for key, value in overrides.items():
        if not isinstance(value, str) or not value.startswith('/'):
            continue
        name = key.replace('-', '_')
        if name in ('datadir', 'tmpdir') or name.endswith('_dir'):
            path = value
        elif name.endswith('_file') or name in _FILE_OPTIONS:
            path = posixpath.dirname(value)
        else:
            continue
        if path not in paths:
            paths.append(path)
    return paths
