# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every unit of the collection comes back when its process dies, written once.

systemd starts a service again one second after its main process fails or is killed
(Restart=on-failure covers a kill -9 and a crash, not a clean stop), and never gives up
(StartLimitIntervalSec=0). With systemd's defaults a service that fails five times in ten
seconds stays down: MLflow, whose start-up fails while its database is away, would then stay
down after the database came back.
"""

from __future__ import annotations

SECTIONS = {
    'Unit': ('StartLimitIntervalSec=0',),
    'Service': ('Restart=on-failure', 'RestartSec=1s'),
}


class InvalidSection(ValueError):
    """A unit file section that has no restart settings."""


def lines(section):
    """The restart settings of a unit file section ('Unit' or 'Service'), one per line."""
    if section not in SECTIONS:
        raise InvalidSection('the restart policy has lines for the sections %s, not %r'
                             % (' and '.join(sorted(SECTIONS)), section))
    return '\n'.join(SECTIONS[section])
