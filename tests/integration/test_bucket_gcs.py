# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.bucket against a real fake-gcs-server, checked with google-cloud-storage.

fake-gcs-server does not check credentials, so the service-account path is completed by a small
OAuth token endpoint on loopback that verifies the signed JWT assertion against the test key's
public half, as Google's token endpoint does: a key that does not match gets `invalid_grant`.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt

from conftest import free_port  # pylint: disable=import-error

EMAIL = 'mlflow@filament-tests.iam.gserviceaccount.com'
AUDIENCE = 'https://oauth2.googleapis.com/token'  # what service account assertions are addressed to


def bucket_exists(fake_gcs, name):
    return fake_gcs.client().lookup_bucket(name) is not None


def emulated(fake_gcs, name, **extra):
    values = dict(bucket_name=name, bucket_provider='gcs', bucket_retries=2, bucket_retry_delay=0.5,
                  bucket_environment={'STORAGE_EMULATOR_HOST': fake_gcs.url})
    values.update(extra)
    return values


def test_present_absent_and_idempotence(fake_gcs, playbook, unique_name):
    name = unique_name()

    run = playbook('bucket.yml', emulated(fake_gcs, name), check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result['changed'] is True and run.result['created'] is True
    assert run.result['diff']['before']['state'] == 'absent' and run.result['diff']['after']['state'] == 'present'
    assert not bucket_exists(fake_gcs, name)

    run = playbook('bucket.yml', emulated(fake_gcs, name))
    assert run.rc == 0 and run.result['created'] is True, run.output
    assert bucket_exists(fake_gcs, name)

    run = playbook('bucket.yml', emulated(fake_gcs, name))
    assert run.rc == 0 and run.result['changed'] is False

    run = playbook('bucket.yml', emulated(fake_gcs, name, bucket_state='absent'), check=True)
    assert run.rc == 0 and run.result['changed'] is True and bucket_exists(fake_gcs, name)

    run = playbook('bucket.yml', emulated(fake_gcs, name, bucket_state='absent'))
    assert run.rc == 0 and run.result['deleted'] is True
    assert not bucket_exists(fake_gcs, name)

    run = playbook('bucket.yml', emulated(fake_gcs, name, bucket_state='absent'))
    assert run.rc == 0 and run.result['changed'] is False


def test_non_empty_bucket_needs_force(fake_gcs, playbook, unique_name):
    name = unique_name()
    bucket = fake_gcs.client().create_bucket(name)
    for key in ('model/MLmodel', 'metrics.json'):
        bucket.blob(key).upload_from_string(b'artifact')

    run = playbook('bucket.yml', emulated(fake_gcs, name, bucket_state='absent'))
    assert run.rc != 0 and 'is not empty' in run.result['msg']
    assert len(list(fake_gcs.client().list_blobs(name))) == 2

    run = playbook('bucket.yml', emulated(fake_gcs, name, bucket_state='absent', bucket_force=True))
    assert run.rc == 0 and run.result['deleted'] is True, run.output
    assert not bucket_exists(fake_gcs, name)


def test_unreachable_emulator(playbook, unique_name):
    url = 'http://127.0.0.1:%d' % free_port()
    run = playbook('bucket.yml', dict(bucket_name=unique_name(), bucket_provider='gcs', bucket_retries=2,
                                      bucket_retry_delay=0.5, bucket_environment={'STORAGE_EMULATOR_HOST': url}))
    assert run.rc != 0
    assert 'storage endpoint %s is unreachable: 3 attempt(s)' % url in run.result['msg']


@pytest.mark.parametrize('name, rule', [('goog-artifacts', "'goog'"), ('my-google-bucket', "'google'"), ('UPPER', 'lowercase')])
def test_invalid_name(fake_gcs, playbook, name, rule):
    run = playbook('bucket.yml', emulated(fake_gcs, name))
    assert run.rc != 0 and 'invalid bucket name' in run.result['msg'] and rule in run.result['msg']
    assert not bucket_exists(fake_gcs, name)


def new_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture(scope='module')
def token_endpoint():
    """An OAuth token endpoint that trusts one public key for EMAIL; yields (url, trusted private key)."""
    private, public = new_key()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the name http.server calls)
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers['Content-Length'])).decode())
            try:
                claims = jwt.decode(form['assertion'][0], certs=public, audience=AUDIENCE)
                ok = claims['iss'] == EMAIL
            except (KeyError, ValueError):
                ok = False
            answer = ({'access_token': 'test-token', 'expires_in': 3600, 'token_type': 'Bearer'} if ok else
                      {'error': 'invalid_grant', 'error_description': 'Invalid JWT Signature.'})
            body = json.dumps(answer).encode()
            self.send_response(200 if ok else 400)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.url = 'http://127.0.0.1:%d/token' % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url, private
    finally:
        server.shutdown()
        server.server_close()


def key_file(tmp_path, token_url, private_key):
    path = tmp_path / 'service-account.json'
    path.write_text(json.dumps({
        'type': 'service_account', 'project_id': 'filament-tests', 'private_key_id': 'k1',
        'private_key': private_key, 'client_email': EMAIL, 'client_id': '1', 'token_uri': token_url,
    }))
    path.chmod(0o600)
    return str(path)


def test_service_account_key(fake_gcs, playbook, unique_name, token_endpoint, tmp_path):
    token_url, trusted = token_endpoint
    name = unique_name()
    run = playbook('bucket.yml', dict(bucket_name=name, bucket_provider='gcs', bucket_endpoint_url=fake_gcs.url,
                                      bucket_credentials_file=key_file(tmp_path, token_url, trusted)))
    assert run.rc == 0 and run.result['created'] is True, run.output
    assert bucket_exists(fake_gcs, name)


def test_wrong_service_account_key(fake_gcs, playbook, unique_name, token_endpoint, tmp_path):
    token_url, dummy = token_endpoint
    untrusted, dummy = new_key()
    name = unique_name()
    run = playbook('bucket.yml', dict(bucket_name=name, bucket_provider='gcs', bucket_endpoint_url=fake_gcs.url,
                                      bucket_credentials_file=key_file(tmp_path, token_url, untrusted),
                                      bucket_retries=5, bucket_retry_delay=10))
    assert run.rc != 0
    assert 'rejected the credentials' in run.result['msg'] and 'invalid_grant' in run.result['msg']
    assert 'check credentials_file' in run.result['msg']
    assert run.duration < 45, 'credentials errors must not be retried'
    assert not bucket_exists(fake_gcs, name)
