# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the drift module: one call, read-only, the same in check mode."""

from __future__ import annotations

import hashlib
import os

from ansible_collections.filament.mlflow.plugins.modules import drift as module


def test_reports_only_what_differs_and_changes_nothing(run_module, tmp_path):
    env = tmp_path / 'app.env'
    env.write_bytes(b'A=1\n')
    env.chmod(0o600)
    conf = tmp_path / 'conf.d'
    conf.mkdir()
    conf.chmod(0o755)
    args = dict(files=[
        dict(key='env', path=str(env), checksum=hashlib.sha1(b'A=1\n').hexdigest(), mode='0600'),
        dict(key='dirs', path=str(conf), state='directory', mode='0750'),
        dict(key='dirs', path=str(tmp_path / 'data'), state='directory'),
        dict(key='old', path=str(tmp_path / 'old.pem'), state='absent'),
    ])
    before = sorted(os.listdir(tmp_path))
    for check_mode in (False, True):
        result = run_module(module.main, args, check_mode=check_mode)
        assert result['_rc'] == 0 and result['changed'] is False
        assert result['drifted'] == ['dirs']
        assert len(result['reasons']['dirs']) == 2
        assert sorted(os.listdir(tmp_path)) == before
        assert oct(os.stat(conf).st_mode & 0o777) == '0o755'


def test_units_that_systemctl_cannot_show_count_as_different(run_module, monkeypatch):
    monkeypatch.setattr(module.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: None)
    result = run_module(module.main, dict(units=[dict(key='service', name='mlflow.service')]))
    assert result['drifted'] == ['service']
    assert result['reasons']['service'] == ['unit mlflow.service is not loaded']


def test_a_bad_mode_fails_with_the_path_and_the_expected_form(run_module, tmp_path):
    result = run_module(module.main, dict(files=[dict(key='env', path=str(tmp_path), state='directory', mode='rwx')]))
    assert result['_rc'] == 1 and result['failed'] is True
    assert "mode must be an octal string such as '0640'" in result['msg'] and str(tmp_path) in result['msg']
