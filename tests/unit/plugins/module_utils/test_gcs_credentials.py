# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the service account key checks and the private temporary file."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import textwrap

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import gcs_credentials as logic


def test_decode_tolerates_surrounding_and_wrapping_whitespace(service_account):
    data, dummy, encoded = service_account
    assert logic.decode_auth_string(encoded) == data
    assert logic.decode_auth_string('\n  %s \n' % encoded) == data
    assert logic.decode_auth_string('\n'.join(textwrap.wrap(encoded, 76)) + '\n') == data


@pytest.mark.parametrize('value, message', [
    ('', 'auth_string is empty'),
    (' \n\t', 'auth_string is empty'),
    ('not base64 at all!', 'not valid base64'),
    ('abc', 'not valid base64'),  # bad padding
    ('Zm9v$mFy', 'not valid base64'),
])
def test_decode_rejects(value, message):
    with pytest.raises(logic.InvalidServiceAccount, match=message):
        logic.decode_auth_string(value)


def test_parse_accepts_a_complete_key(service_account):
    data, info, dummy = service_account
    assert logic.parse_service_account(data) == info


def test_parse_accepts_surrounding_whitespace_in_the_pem(service_account):
    dummy, info, dummy2 = service_account
    info = dict(info, private_key='\n' + info['private_key'] + '\n\n')
    assert logic.parse_service_account(json.dumps(info).encode())['client_email'] == info['client_email']


@pytest.mark.parametrize('data, message', [
    (b'\xff\xfe\x00binary', 'does not decode to JSON'),
    (b'{"type": "service_account",', 'does not decode to JSON'),
    (b'key: value', 'does not decode to JSON'),
    (b'["service_account"]', 'not an object'),
    (b'"service_account"', 'not an object'),
    (b'{}', '"type" is missing or unexpected'),
    (b'{"type": "authorized_user"}', '"type" is \'authorized_user\''),
    (b'{"type": 7}', '"type" is missing or unexpected'),
])
def test_parse_rejects(data, message):
    with pytest.raises(logic.InvalidServiceAccount, match=message):
        logic.parse_service_account(data)


@pytest.mark.parametrize('field', ['project_id', 'private_key', 'client_email'])
@pytest.mark.parametrize('value', [None, '', '   ', 42])
def test_parse_names_missing_or_empty_fields(service_account, field, value):
    dummy, info, dummy2 = service_account
    info = dict(info)
    if value is None:
        del info[field]
    else:
        info[field] = value
    with pytest.raises(logic.InvalidServiceAccount) as raised:
        logic.parse_service_account(json.dumps(info).encode())
    message = str(raised.value)
    assert field in message
    assert [f for f in logic.REQUIRED_FIELDS if f in message] == [field]


def test_parse_lists_every_missing_field():
    with pytest.raises(logic.InvalidServiceAccount, match='project_id, private_key, client_email'):
        logic.parse_service_account(b'{"type": "service_account"}')


@pytest.mark.parametrize('key', [
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
    '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
    '-----BEGIN PRIVATE KEY-----\nMIIE truncated',
])
def test_parse_rejects_a_key_that_is_not_pem(service_account, key):
    dummy, info, dummy2 = service_account
    with pytest.raises(logic.InvalidServiceAccount, match='not a PEM private key') as raised:
        logic.parse_service_account(json.dumps(dict(info, private_key=key)).encode())
    assert key not in str(raised.value)


def test_messages_never_repeat_the_secret(service_account):
    """Whatever is wrong, the message shows neither the input nor the key."""
    dummy, info, encoded = service_account
    secret_type = 'x' * 30 + '-----BEGIN PRIVATE KEY-----'
    cases = [
        json.dumps(dict(info, type=secret_type)),
        json.dumps(dict(info, client_email='')),
        json.dumps([info]),
        encoded,  # valid base64 of JSON, but base64 once more means it decodes to a base64 string
    ]
    for data in cases:
        with pytest.raises(logic.InvalidServiceAccount) as raised:
            logic.parse_service_account(data.encode())
        message = str(raised.value)
        assert info['private_key'].splitlines()[1] not in message
        assert encoded[:40] not in message and secret_type not in message
    with pytest.raises(logic.InvalidServiceAccount) as raised:
        logic.decode_auth_string(encoded[:-3] + '!!!')
    assert encoded[:40] not in str(raised.value)


def test_fingerprint_and_describe(service_account):
    data, info, dummy = service_account
    expected = 'sha256:' + hashlib.sha256(data).hexdigest()
    assert logic.fingerprint(data) == expected
    assert logic.describe(data) == '%s client_email=%s' % (expected, info['client_email'])
    assert logic.describe(data, info) == logic.describe(data)
    assert logic.describe(b'not json') == logic.fingerprint(b'not json')
    assert logic.describe(b'[1]') == logic.fingerprint(b'[1]')
    assert info['private_key'] not in logic.describe(data)


def test_read_current(tmp_path):
    assert logic.read_current(str(tmp_path / 'missing')) is None
    (tmp_path / 'there').write_bytes(b'abc')
    assert logic.read_current(str(tmp_path / 'there')) == b'abc'


def test_write_private_temp_is_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        path = logic.write_private_temp(str(tmp_path), 'sa.json', b'secret bytes')
    finally:
        os.umask(previous)
    assert os.path.dirname(path) == str(tmp_path)
    assert os.path.basename(path).startswith('.sa.json.')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, 'rb') as handle:
        assert handle.read() == b'secret bytes'


def test_write_private_temp_leaves_nothing_behind_on_failure(tmp_path):
    with pytest.raises(TypeError):
        logic.write_private_temp(str(tmp_path), 'sa.json', 'text, not bytes')
    assert list(tmp_path.iterdir()) == []
