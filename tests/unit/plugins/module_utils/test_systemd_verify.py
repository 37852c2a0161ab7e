"""The unit validator: it must fail on what systemd-analyze verify only warns about (runs the real one)."""

import os
import shlex
import subprocess

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import systemd_verify


def run(command, path):
    # What the copy and template modules do with validate: %s becomes the candidate, split like a shell.
    return subprocess.run(shlex.split(command % path), capture_output=True, text=True, check=False)


def test_one_placeholder_only():
    command = systemd_verify.verify_command('mlflow.service')
    assert command.count('%s') == 1 and command.replace('%s', '').count('%') == 0


def test_drop_in_copies_the_installed_unit():
    assert 'FragmentPath mariadb.service' in systemd_verify.verify_command('mariadb.service', dropin=True)


@pytest.mark.parametrize('name', ['', 'mlflow', 'a b.service', 'x.service; rm -rf /'])
def test_refuses_what_is_not_a_unit_name(name):
    with pytest.raises(systemd_verify.InvalidUnitName):
        systemd_verify.verify_command(name)


def test_unknown_key_fails(tmp_path):
    unit = tmp_path / 'candidate'
    unit.write_text('[Service]\nExecStart=/bin/true\nProtectEverything=yes\n')
    result = run(systemd_verify.verify_command('filament-test.service'), str(unit))
    assert result.returncode != 0
    assert "Unknown key 'ProtectEverything'" in result.stderr or 'ProtectEverything' in result.stderr


def test_good_unit_passes(tmp_path):
    unit = tmp_path / 'candidate'
    unit.write_text('[Service]\nExecStart=/bin/true\nNoNewPrivileges=true\n')
    result = run(systemd_verify.verify_command('filament-test.service'), str(unit))
    assert result.returncode == 0, result.stderr
    assert os.path.exists(unit)
