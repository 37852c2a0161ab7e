# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind the filament.mlflow.controller_file lookup."""

from __future__ import annotations

import hashlib
import os
import stat

_BLOCK = 1 << 20


def sha256(path):
    """The sha256 of a file, read in blocks (a binary of 150 MB is not held in memory)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(_BLOCK), b''):
            digest.update(block)
    return digest.hexdigest()


def describe(path):
    """{path, exists, regular, sha256} of a path; sha256 is empty unless it is a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return dict(path=path, exists=os.path.lexists(path), regular=False, sha256='')
    regular = stat.S_ISREG(mode)
    return dict(path=path, exists=True, regular=regular, sha256=sha256(path) if regular else '')
