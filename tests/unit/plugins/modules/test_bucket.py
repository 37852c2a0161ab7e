# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the bucket module's plumbing: argument handling, library checks, results."""

from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import bucket as logic
from ansible_collections.filament.mlflow.plugins.modules import bucket as module

SECRET = 'unit-secret-key-value'


class RecordingBackend:
    def __init__(self, exists=False, error=None):
        self.present = exists
        self.error = error
        self.calls = []

    def exists(self, name):
        self.calls.append(('exists', name))
        if self.error:
            raise self.error
        return self.present

    def create(self, name):
        self.calls.append(('create', name))

    def is_empty(self, name):
        return True

    def delete(self, name):
        self.calls.append(('delete', name))


@pytest.fixture
def backends(monkeypatch):
    """Replace the client factories; records which provider was built with which params."""
    built = {}

    def factory(provider, backend):
        def build(params, environ=None):
            built[provider] = dict(params)
            return backend
        return build

    def install(backend):
        monkeypatch.setattr(logic, 's3_backend', factory('s3', backend))
        monkeypatch.setattr(logic, 'gcs_backend', factory('gcs', backend))
        return built
    return install


def args(**extra):
    base = dict(name='mlflow-artifacts', endpoint_url='http://127.0.0.1:9000', access_key='AKIAUNIT', secret_key=SECRET)
    base.update(extra)
    return base


def test_creates_and_reports(run_module, backends):
    backend = RecordingBackend(exists=False)
    built = backends(backend)
    result = run_module(module.main, args())
    assert result['_rc'] == 0
    assert result['changed'] is True and result['created'] is True and result['deleted'] is False
    assert (result['name'], result['provider'], result['state']) == ('mlflow-artifacts', 's3', 'present')
    assert backend.calls == [('exists', 'mlflow-artifacts'), ('create', 'mlflow-artifacts')]
    assert built['s3']['retries'] == 12 and built['s3']['retry_delay'] == 5.0
    assert built['s3']['region'] == 'us-east-1' and built['s3']['addressing_style'] == 'path'
    assert 'diff' not in result


def test_aliases_reach_the_backend(run_module, backends):
    built = backends(RecordingBackend(exists=True))
    result = run_module(module.main, dict(name='mlflow-artifacts', aws_access_key_id='AKIAUNIT',
                                          aws_secret_access_key=SECRET, aws_session_token='tok'))
    assert result['changed'] is False
    assert (built['s3']['access_key'], built['s3']['secret_key'], built['s3']['session_token']) == ('AKIAUNIT', SECRET, 'tok')


def test_check_mode_and_diff(run_module, backends):
    backend = RecordingBackend(exists=True)
    backends(backend)
    result = run_module(module.main, args(state='absent'), check_mode=True, diff=True)
    assert result['changed'] is True and result['deleted'] is True and result['state'] == 'absent'
    assert backend.calls == [('exists', 'mlflow-artifacts')]
    assert result['diff'] == {
        'before': {'name': 'mlflow-artifacts', 'state': 'present'},
        'after': {'name': 'mlflow-artifacts', 'state': 'absent'},
    }


def test_invalid_name_fails_before_any_client_is_built(run_module, backends):
    built = backends(RecordingBackend())
    result = run_module(module.main, args(name='Not_Valid'))
    assert result['_rc'] == 1 and result['failed'] is True
    assert "invalid bucket name 'Not_Valid' for provider s3" in result['msg']
    assert built == {}


def test_negative_retries_rejected(run_module, backends):
    built = backends(RecordingBackend())
    result = run_module(module.main, args(retries=-1))
    assert result['failed'] and 'must not be negative' in result['msg'] and built == {}


def test_missing_boto3_is_reported_for_s3_only(run_module, backends, monkeypatch):
    monkeypatch.setattr(logic, 'HAS_BOTO3', False)
    monkeypatch.setattr(logic, 'BOTO3_IMPORT_ERROR', 'ImportError: no boto3')
    built = backends(RecordingBackend(exists=True))
    result = run_module(module.main, args())
    assert result['failed'] and 'boto3' in result['msg'] and 'google-cloud-storage' not in result['msg']
    result = run_module(module.main, dict(name='mlflow-artifacts', provider='gcs'))
    assert result['_rc'] == 0 and 'gcs' in built


def test_missing_google_library_is_reported_for_gcs_only(run_module, backends, monkeypatch):
    monkeypatch.setattr(logic, 'HAS_GCS', False)
    built = backends(RecordingBackend(exists=True))
    result = run_module(module.main, dict(name='mlflow-artifacts', provider='gcs'))
    assert result['failed'] and 'google-cloud-storage' in result['msg']
    assert run_module(module.main, args())['_rc'] == 0 and 's3' in built


def test_access_key_needs_secret_key(run_module, backends):
    backends(RecordingBackend())
    result = run_module(module.main, dict(name='mlflow-artifacts', access_key='AKIAUNIT'))
    assert result['failed'] and 'access_key' in result['msg'] and 'secret_key' in result['msg']


@pytest.mark.parametrize('error', [
    logic.CredentialsRejected('S3 endpoint rejected the credentials: check access_key and secret_key'),
    logic.EndpointUnreachable('storage endpoint http://127.0.0.1:1 is unreachable'),
    logic.BucketOwnedElsewhere("bucket 'mlflow-artifacts' belongs to another account"),
])
def test_errors_are_reported_without_secrets(run_module, backends, error):
    backends(RecordingBackend(error=error))
    result = run_module(module.main, args())
    assert result['_rc'] == 1 and result['msg'] == str(error)
    assert result['changed'] is False and result['created'] is False
    assert SECRET not in result['_raw']
