# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind the filament.mlflow.packages action, as plain functions.

A role lists the Debian packages it needs once. The action asks the host in one call
(filament.mlflow.drift, which reads dpkg's status database) which of them are missing, and
whether python3-apt is there: the apt module needs it to tell anything in check mode, so on a
host without it a check run reports what a real run would install instead of failing.
"""

from __future__ import annotations

import re

APT_BINDINGS = 'python3-apt'
# Debian package names (policy 5.6.1), optionally with an architecture qualifier.
_NAME = re.compile(r'^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$')


class InvalidNames(ValueError):
    """A package list that cannot be installed as given."""


def normalize(names):
    """The package names, each once, in the order given; InvalidNames says which one is wrong."""
    if isinstance(names, str) or not isinstance(names, list):
        raise InvalidNames('names must be a list of Debian package names, got %r' % (names,))
    out = []
    for index, name in enumerate(names):
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidNames('names[%d] must be a Debian package name, got %r' % (index, name))
        if name not in out:
            out.append(name)
    return out


def drift_request(names):
    """The packages option of filament.mlflow.drift: one item per package, and python3-apt."""
    return [{'key': name, 'names': [name]} for name in names + ([APT_BINDINGS] if APT_BINDINGS not in names else [])]


def missing(names, drift_result):
    """(the wanted packages that are not installed, whether python3-apt is installed)."""
    drifted = set(drift_result.get('drifted', []))
    return [name for name in names if name in drifted], APT_BINDINGS not in drifted


def apt_args(names):
    """The arguments of ansible.builtin.apt that install the packages (without what they only recommend:
    the tested hosts have none of it)."""
    return {'name': list(names), 'state': 'present', 'update_cache': True, 'cache_valid_time': 3600,
            'install_recommends': False}
