# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.gcs_credentials through ansible-playbook, on the local filesystem."""

from __future__ import annotations

import base64
import grp
import hashlib
import json
import os
import pwd
import stat
import textwrap

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@pytest.fixture(scope='module')
def key():
    """A service account key with a real throwaway RSA key: (file bytes, base64, a line of the PEM body)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    data = json.dumps({
        'type': 'service_account', 'project_id': 'filament-tests', 'private_key_id': 'k1', 'private_key': private,
        'client_email': 'mlflow@filament-tests.iam.gserviceaccount.com', 'client_id': '1',
        'token_uri': 'https://oauth2.googleapis.com/token',
    }, indent=2).encode()
    return data, base64.b64encode(data).decode(), private.splitlines()[2]


def other_owner():
    """An owner and group other than the file's default, when the tests may chown (as root)."""
    if os.geteuid() == 0:
        return 'nobody', grp.getgrgid(pwd.getpwnam('nobody').pw_gid).gr_name
    return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name


def assert_secret_absent(run, key):
    data, encoded, pem_line = key
    assert encoded not in run.output and encoded[:60] not in run.output
    assert pem_line not in run.output and 'BEGIN PRIVATE KEY' not in run.output


def test_writes_with_owner_and_mode_then_is_idempotent(playbook, tmp_path, key):
    data, encoded, dummy = key
    dest = tmp_path / 'keys' / 'sa.json'
    dest.parent.mkdir()
    owner, group = other_owner()
    params = dict(key_auth_string=encoded, key_dest=str(dest), key_owner=owner, key_group=group, key_mode='0640')

    run = playbook('gcs_credentials.yml', params)
    assert run.rc == 0, run.output
    result = run.result
    assert result['changed'] is True
    assert result['fingerprint'] == 'sha256:' + hashlib.sha256(data).hexdigest()
    assert (result['client_email'], result['project_id']) == ('mlflow@filament-tests.iam.gserviceaccount.com', 'filament-tests')
    assert dest.read_bytes() == data
    info = os.stat(dest)
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert (pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name) == (owner, group)
    assert sorted(p.name for p in dest.parent.iterdir()) == ['sa.json'], 'no temporary file left behind'

    run = playbook('gcs_credentials.yml', dict(params, key_auth_string='\n'.join(textwrap.wrap(encoded, 76)) + '\n'))
    assert run.rc == 0 and run.result['changed'] is False
    assert os.stat(dest).st_mtime_ns == info.st_mtime_ns

    os.chmod(dest, 0o644)
    run = playbook('gcs_credentials.yml', params, diff=True)
    assert run.rc == 0 and run.result['changed'] is True
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640 and dest.read_bytes() == data


def test_default_mode_is_0600(playbook, tmp_path, key):
    dest = tmp_path / 'sa.json'
    run = playbook('gcs_credentials.yml', dict(key_auth_string=key[1], key_dest=str(dest)))
    assert run.rc == 0 and stat.S_IMODE(os.stat(dest).st_mode) == 0o600


def test_check_mode_writes_nothing(playbook, tmp_path, key):
    dest = tmp_path / 'sa.json'
    run = playbook('gcs_credentials.yml', dict(key_auth_string=key[1], key_dest=str(dest)), check=True, diff=True)
    assert run.rc == 0 and run.result['changed'] is True
    assert list(tmp_path.glob('sa.json*')) == [] and not dest.exists()

    dest.write_bytes(b'an older key')
    run = playbook('gcs_credentials.yml', dict(key_auth_string=key[1], key_dest=str(dest)), check=True)
    assert run.rc == 0 and run.result['changed'] is True
    assert dest.read_bytes() == b'an older key'


def test_diff_shows_fingerprints_only(playbook, tmp_path, key):
    data, encoded, dummy = key
    dest = tmp_path / 'sa.json'
    old = b'{"client_email": "old@filament-tests.iam.gserviceaccount.com"}'
    dest.write_bytes(old)
    run = playbook('gcs_credentials.yml', dict(key_auth_string=encoded, key_dest=str(dest)), diff=True,
                   json_output=False)
    assert run.rc == 0, run.output
    assert '-sha256:%s client_email=old@filament-tests.iam.gserviceaccount.com' % hashlib.sha256(old).hexdigest() in run.stdout
    assert '+sha256:%s client_email=mlflow@filament-tests.iam.gserviceaccount.com' % hashlib.sha256(data).hexdigest() in run.stdout
    assert_secret_absent(run, key)


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize('auth_string, message', [
    ('this is not base64!', 'auth_string is not valid base64'),
    (b64('type = service_account'), 'does not decode to JSON'),
    (b64('[{"type": "service_account"}]'), 'JSON that is not an object'),
    (b64('{"type": "authorized_user", "client_id": "x", "refresh_token": "y"}'), '"type" is \'authorized_user\''),
    (b64('{"type": "service_account", "project_id": "p", "client_email": "", "private_key": "x"}'),
     'lacks or has empty field(s): client_email'),
    (b64('{"type": "service_account", "project_id": "p", "client_email": "e@p", "private_key": "MIIEvQIBADANBg"}'),
     'private_key is not a PEM private key'),
])
def test_bad_input_fails_and_leaves_the_file_untouched(playbook, tmp_path, auth_string, message):
    dest = tmp_path / 'sa.json'
    dest.write_bytes(b'the key in use')
    os.chmod(dest, 0o640)
    before = os.stat(dest)
    run = playbook('gcs_credentials.yml', dict(key_auth_string=auth_string, key_dest=str(dest), key_mode='0600'))
    assert run.rc != 0
    assert message in run.result['msg']
    assert auth_string not in run.output
    after = os.stat(dest)
    assert dest.read_bytes() == b'the key in use'
    assert (after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (before.st_mtime_ns, 0o640)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(('sa', '.sa'))) == ['sa.json']


def test_missing_directory(playbook, tmp_path, key):
    dest = tmp_path / 'missing' / 'sa.json'
    run = playbook('gcs_credentials.yml', dict(key_auth_string=key[1], key_dest=str(dest)))
    assert run.rc != 0 and 'does not exist' in run.result['msg']
    run = playbook('gcs_credentials.yml', dict(key_auth_string=key[1], key_dest=str(dest)), check=True)
    assert run.rc == 0 and run.result['changed'] is True
    assert not dest.parent.exists()


def test_secret_never_in_verbose_output(playbook, tmp_path, key):
    dest = tmp_path / 'sa.json'
    broken = key[1][:-8] + '!!!!!!!!'
    for auth_string, check in ((key[1], False), (key[1], True), (broken, False)):
        run = playbook('gcs_credentials.yml', dict(key_auth_string=auth_string, key_dest=str(dest)),
                       check=check, diff=True, verbosity=3, json_output=False)
        assert 'filament.mlflow.gcs_credentials' in run.output
        assert_secret_absent(run, key)
        assert broken[:60] not in run.output
