# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command every role gives to ``validate:`` before a unit file or drop-in replaces the old one.

``systemd-analyze verify`` wants a file named like the unit, and takes units, not drop-ins: the
candidate goes into a scratch directory as ``<name>.service`` (a unit), or as
``<name>.service.d/candidate.conf`` beside a copy of the installed unit (a drop-in). verify exits
0 on an unknown key or a bad value ("Unknown key name ..., ignoring"), so any line it prints about
a file in the scratch directory fails the check as well as a non-zero exit.

Ansible runs the command with the candidate's path put in for ``%s`` (Python %-formatting), split
into words like a shell would, without a shell: hence ``/bin/sh -c`` and no other ``%`` in it.
"""

from __future__ import annotations

import re
import shlex

_UNIT_NAME = re.compile(r'[A-Za-z0-9:_.\\@-]+\.(service|socket|timer|mount|target|path)')


class InvalidUnitName(ValueError):
    pass


def verify_command(unit, dropin=False):
    """A command for validate: (with %s for the candidate) that checks a unit or a drop-in of unit."""
    if not _UNIT_NAME.fullmatch(unit or ''):
        raise InvalidUnitName('unit must be a systemd unit name such as mlflow.service, got %r' % (unit,))
    quoted = shlex.quote(unit)
    if dropin:
        place = ('cp "$(systemctl show -P FragmentPath %s)" "$d/"%s && mkdir "$d/"%s.d '
                 '&& cp "$1" "$d/"%s.d/candidate.conf' % (quoted, quoted, quoted, quoted))
    else:
        place = 'cp "$1" "$d/"%s' % quoted
    script = (
        'd=$(mktemp -d) && trap \'rm -rf "$d"\' EXIT && %s '
        '&& out=$(systemd-analyze verify --man=no "$d/"%s 2>&1); rc=$?; '
        'echo "$out" >&2; [ "$rc" -eq 0 ] && ! echo "$out" | grep -qF "$d/"'
        % (place, quoted))
    return '/bin/sh -c %s verify %%s' % shlex.quote(script)
