# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the gcs_credentials module against a temporary directory."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import gcs_credentials as logic
from ansible_collections.filament.mlflow.plugins.modules import gcs_credentials as module


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def key(service_account):
    data, info, encoded = service_account
    return data, info, encoded, info['private_key'].splitlines()[1]


def test_writes_a_private_file_then_is_idempotent(run_module, tmp_path, key):
    data, info, encoded, pem_line = key
    dest = tmp_path / 'sa.json'
    result = run_module(module.main, dict(auth_string=encoded, dest=str(dest)))
    assert result['_rc'] == 0 and result['changed'] is True
    assert dest.read_bytes() == data and mode_of(dest) == 0o600
    assert result['fingerprint'] == logic.fingerprint(data)
    assert (result['client_email'], result['project_id'], result['dest']) == (info['client_email'], 'unit-project', str(dest))
    assert encoded not in result['_raw'] and pem_line not in result['_raw']
    assert [p.name for p in tmp_path.iterdir()] == ['sa.json']

    again = run_module(module.main, dict(auth_string='\n%s\n' % encoded, dest=str(dest)))
    assert again['changed'] is False


def test_check_mode_writes_nothing(run_module, tmp_path, key):
    dummy, dummy2, encoded, dummy3 = key
    dest = tmp_path / 'sa.json'
    result = run_module(module.main, dict(auth_string=encoded, dest=str(dest)), check_mode=True)
    assert result['changed'] is True and not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_diff_shows_fingerprints_only(run_module, tmp_path, key):
    data, info, encoded, pem_line = key
    dest = tmp_path / 'sa.json'
    dest.write_bytes(b'{"client_email": "old@example.iam.gserviceaccount.com"}')
    old = logic.fingerprint(dest.read_bytes())
    result = run_module(module.main, dict(auth_string=encoded, dest=str(dest)), check_mode=True, diff=True)
    content = result['diff'][0]
    assert content['before'] == '%s client_email=old@example.iam.gserviceaccount.com\n' % old
    assert content['after'] == '%s client_email=%s\n' % (logic.fingerprint(data), info['client_email'])
    assert pem_line not in result['_raw']
    assert dest.read_bytes() != data  # check mode


def test_owner_group_and_mode_are_applied_only_when_different(run_module, tmp_path, key):
    data, dummy, encoded, dummy2 = key
    dest = tmp_path / 'sa.json'
    params = dict(auth_string=encoded, dest=str(dest), mode='0640')
    assert run_module(module.main, params)['changed'] is True
    assert mode_of(dest) == 0o640
    assert run_module(module.main, params)['changed'] is False

    os.chmod(dest, 0o644)
    result = run_module(module.main, params, diff=True)
    assert result['changed'] is True and mode_of(dest) == 0o640
    assert result['diff'][1]['before']['mode'] == '0644' and result['diff'][1]['after']['mode'] == '0640'
    assert result['diff'][0]['before'] == result['diff'][0]['after']


def test_replacing_keeps_requested_attributes(run_module, tmp_path, key, service_account):
    dummy, info, encoded, dummy2 = key
    dest = tmp_path / 'sa.json'
    other = json.dumps(dict(info, client_email='other@unit-project.iam.gserviceaccount.com')).encode()
    run_module(module.main, dict(auth_string=base64.b64encode(other).decode(), dest=str(dest), mode='0640'))
    result = run_module(module.main, dict(auth_string=encoded, dest=str(dest), mode='0640'))
    assert result['changed'] is True and mode_of(dest) == 0o640
    assert json.loads(dest.read_bytes())['client_email'] == info['client_email']


@pytest.mark.parametrize('auth_string, message', [
    ('%%%', 'not valid base64'),
    (base64.b64encode(b'plain text').decode(), 'does not decode to JSON'),
    (base64.b64encode(b'[1, 2]').decode(), 'not an object'),
    (base64.b64encode(b'{"type": "authorized_user"}').decode(), 'expected "service_account"'),
    (base64.b64encode(b'{"type": "service_account", "project_id": "p"}').decode(), 'private_key, client_email'),
])
def test_bad_input_fails_and_leaves_the_file_alone(run_module, tmp_path, auth_string, message):
    dest = tmp_path / 'sa.json'
    dest.write_bytes(b'previous key')
    os.chmod(dest, 0o640)
    before = os.stat(dest)
    result = run_module(module.main, dict(auth_string=auth_string, dest=str(dest), mode='0600'))
    assert result['_rc'] == 1 and message in result['msg']
    assert dest.read_bytes() == b'previous key' and os.stat(dest).st_mtime_ns == before.st_mtime_ns
    assert mode_of(dest) == 0o640
    assert 'dest' not in result and 'mode' not in result


def test_missing_directory(run_module, tmp_path, key):
    dummy, dummy2, encoded, dummy3 = key
    dest = tmp_path / 'missing' / 'sa.json'
    result = run_module(module.main, dict(auth_string=encoded, dest=str(dest)))
    assert result['_rc'] == 1 and 'does not exist' in result['msg'] and str(dest) in result['msg']
    result = run_module(module.main, dict(auth_string=encoded, dest=str(dest)), check_mode=True)
    assert result['_rc'] == 0 and result['changed'] is True
    assert not dest.parent.exists()


def test_dest_is_a_directory(run_module, tmp_path, key):
    dummy, dummy2, encoded, dummy3 = key
    result = run_module(module.main, dict(auth_string=encoded, dest=str(tmp_path)))
    assert result['_rc'] == 1 and 'is a directory' in result['msg']


def test_new_file_is_never_readable_by_others(run_module, tmp_path, key, monkeypatch):
    """Even with a permissive umask, the file is 0600 the moment it appears, before mode is applied."""
    dummy, dummy2, encoded, dummy3 = key
    dest = tmp_path / 'sa.json'
    seen = []
    original = module.AnsibleModule.set_fs_attributes_if_different

    def spy(self, file_args, changed, *args, **kwargs):
        seen.append(mode_of(dest))
        return original(self, file_args, changed, *args, **kwargs)
    monkeypatch.setattr(module.AnsibleModule, 'set_fs_attributes_if_different', spy)
    previous = os.umask(0o000)
    try:
        result = run_module(module.main, dict(auth_string=encoded, dest=str(dest), mode='0644'))
    finally:
        os.umask(previous)
    assert result['changed'] is True
    assert seen == [0o600] and mode_of(dest) == 0o644
