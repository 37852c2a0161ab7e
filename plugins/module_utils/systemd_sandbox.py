# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox every unit of the collection runs in, written once.

The baseline is what the strictest of our services tolerates: a read-only system but for the
paths a service must write, no new privileges, no capabilities, no devices, no view of other
processes, a system call filter. A service names what it needs beyond that (the paths it writes,
a capability, an address family) and which parts of the baseline it cannot live with (relax),
each for a reason its unit states beside the call.
"""

from __future__ import annotations

import re

# What a service may relax, and the lines each takes out of the baseline.
RELAXABLE = {
    'devices': ('DevicePolicy=closed',),
    'proc': ('ProcSubset=pid',),
    'ipc': ('RemoveIPC=true',),
    'write_execute': ('MemoryDenyWriteExecute=true',),
    'privileged_calls': ('SystemCallFilter=~@privileged @resources',),
}
DEFAULT_FAMILIES = ('AF_UNIX', 'AF_INET', 'AF_INET6')
_PATH = re.compile(r'^-?/[^\s"\']*$')
_CAPABILITY = re.compile(r'^CAP_[A-Z_]+$')
_FAMILY = re.compile(r'^AF_[A-Z0-9]+$')


class InvalidSandbox(ValueError):
    """Sandbox settings that would not make a valid or meaningful unit."""


def _check(values, pattern, what):
    for value in values:
        if not isinstance(value, str) or not pattern.match(value):
            raise InvalidSandbox('%s: %r is not one' % (what, value))


def lines(writable=(), capabilities=(), ambient=True, address_families=DEFAULT_FAMILIES, relax=()):
    """The [Service] lines of the sandbox, in a fixed order.

    writable: absolute paths the service writes (a leading '-' ignores a missing one);
    capabilities: the bounding set (and, with ambient, the ambient set: for a service that does
    not run as root); address_families: the socket families it opens; relax: names of RELAXABLE.
    """
    _check(writable, _PATH, 'writable paths must be absolute paths')
    _check(capabilities, _CAPABILITY, 'capabilities must be names such as CAP_NET_BIND_SERVICE')
    _check(address_families, _FAMILY, 'address families must be names such as AF_INET')
    unknown = sorted(set(relax) - set(RELAXABLE))
    if unknown:
        raise InvalidSandbox('relax: unknown %s; known: %s' % (', '.join(unknown), ', '.join(sorted(RELAXABLE))))
    if not address_families:
        raise InvalidSandbox('address families: a service needs at least one')
    skipped = set(line for name in relax for line in RELAXABLE[name])
    out = ['NoNewPrivileges=true', 'CapabilityBoundingSet=%s' % ' '.join(capabilities)]
    if ambient:
        out.append('AmbientCapabilities=%s' % ' '.join(capabilities))
    out.append('ProtectSystem=strict')
    if writable:
        out.append('ReadWritePaths=%s' % ' '.join(writable))
    out += [
        'ProtectHome=true',
        'PrivateTmp=true',
        'PrivateDevices=true',
        'DevicePolicy=closed',
        'ProtectKernelTunables=true',
        'ProtectKernelModules=true',
        'ProtectKernelLogs=true',
        'ProtectControlGroups=true',
        'ProtectClock=true',
        'ProtectHostname=true',
        'ProtectProc=invisible',
        'ProcSubset=pid',
        'RestrictAddressFamilies=%s' % ' '.join(address_families),
        'RestrictNamespaces=true',
        'RestrictRealtime=true',
        'RestrictSUIDSGID=true',
        'RemoveIPC=true',
        'LockPersonality=true',
        'MemoryDenyWriteExecute=true',
        'SystemCallArchitectures=native',
        'SystemCallFilter=@system-service',
        'SystemCallFilter=~@privileged @resources',
        'SystemCallErrorNumber=EPERM',
    ]
    return [line for line in out if line not in skipped]
