# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which vars/ files of a role apply to a host, from the general to the specific.

A role keeps what differs by operating system in vars/<os_family>.yml (Debian), then
vars/<distribution>.yml (Ubuntu), then vars/<distribution>-<major version>.yml (Debian-13): each
file that exists is loaded in that order, so a more specific one overrides a more general one.
"""

from __future__ import annotations

import os


def candidates(facts):
    """The file names that may apply to a host with these facts, general first, each once."""
    family = facts.get('os_family') or ''
    distribution = facts.get('distribution') or ''
    major = str(facts.get('distribution_major_version') or '')
    names = []
    for name in (family, distribution, '%s-%s' % (distribution, major) if distribution and major else ''):
        if name and name + '.yml' not in names:
            names.append(name + '.yml')
    return names


def existing(role_path, facts, isfile=os.path.isfile):
    """The paths of the vars/ files of the role at role_path that apply to the host, in load order."""
    paths = [os.path.join(role_path, 'vars', name) for name in candidates(facts)]
    return [path for path in paths if isfile(path)]
