# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the sandbox every unit runs in, checked by the real systemd-analyze as well."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import systemd_sandbox as logic


def test_the_baseline_is_strict():
    lines = logic.lines()
    assert lines[:3] == ['NoNewPrivileges=true', 'CapabilityBoundingSet=', 'AmbientCapabilities=']
    for line in ('ProtectSystem=strict', 'PrivateDevices=true', 'DevicePolicy=closed', 'ProcSubset=pid',
                 'MemoryDenyWriteExecute=true', 'RemoveIPC=true', 'SystemCallFilter=~@privileged @resources',
                 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'):
        assert line in lines
    assert not any(line.startswith('ReadWritePaths=') for line in lines)
    assert len(lines) == len(set(lines))


def test_what_a_service_adds_and_relaxes():
    lines = logic.lines(writable=['/var/lib/mysql', '-/var/log/mysql'], capabilities=['CAP_IPC_LOCK'], ambient=False,
                        relax=['devices', 'proc', 'ipc', 'write_execute', 'privileged_calls'])
    assert 'ReadWritePaths=/var/lib/mysql -/var/log/mysql' in lines
    assert 'CapabilityBoundingSet=CAP_IPC_LOCK' in lines
    assert not any(line.startswith('AmbientCapabilities=') for line in lines)
    for gone in ('DevicePolicy=closed', 'ProcSubset=pid', 'RemoveIPC=true', 'MemoryDenyWriteExecute=true',
                 'SystemCallFilter=~@privileged @resources'):
        assert gone not in lines
    assert 'SystemCallFilter=@system-service' in lines
    assert 'RestrictAddressFamilies=AF_UNIX AF_NETLINK' in logic.lines(address_families=['AF_UNIX', 'AF_NETLINK'])


@pytest.mark.parametrize('kwargs, message', [
    ({'writable': ['var/lib/x']}, "writable paths must be absolute paths: 'var/lib/x'"),
    ({'writable': ['/a b']}, 'writable paths must be absolute paths'),
    ({'capabilities': ['NET_BIND_SERVICE']}, 'capabilities must be names such as CAP_NET_BIND_SERVICE'),
    ({'address_families': ['inet']}, 'address families must be names such as AF_INET'),
    ({'address_families': []}, 'needs at least one'),
    ({'relax': ['everything']}, 'relax: unknown everything; known: devices, ipc, privileged_calls, proc, write_execute'),
])
def test_wrong_settings_are_refused(kwargs, message):
    with pytest.raises(logic.InvalidSandbox) as caught:
        logic.lines(**kwargs)
    assert message in str(caught.value)


def test_systemd_knows_every_line(tmp_path):
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        pytest.fail('systemd-analyze is needed (Debian package systemd)')
    unit = tmp_path / 'filament-sandbox-check.service'
    unit.write_text('[Unit]\nDescription=sandbox check\n\n[Service]\nExecStart=/bin/true\n%s\n'
                    % '\n'.join(logic.lines(writable=['/srv/x'], capabilities=['CAP_NET_BIND_SERVICE'])))
    done = subprocess.run([analyze, 'verify', str(unit)], capture_output=True, text=True, check=False)
    unknown = [line for line in (done.stdout + done.stderr).splitlines() if str(unit) in line]
    assert done.returncode == 0 and not unknown, done.stdout + done.stderr
