# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the bucket logic: names, error sorting, retries, both backends, ensure_bucket."""

from __future__ import annotations

import json

import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests
from botocore.stub import Stubber
from google.api_core import exceptions as gexc
from google.auth import exceptions as gauth_exc

from ansible_collections.filament.mlflow.plugins.module_utils import bucket as logic


# --- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize('name', [
    'abc', 'mlflow-artifacts', 'my.bucket.v1', '123', 'a' * 63, 'a1-b2.c3',
])
def test_valid_s3_names(name):
    assert logic.bucket_name_problems(name, 's3') == []
    assert logic.bucket_name_error(name, 's3') is None


@pytest.mark.parametrize('name, problem', [
    ('ab', '3-63 characters'),
    ('a' * 64, '3-63 characters'),
    ('', '3-63 characters'),
    ('MLflow', 'only lowercase letters'),
    ('my_bucket', 'only lowercase letters'),
    ('my bucket', 'only lowercase letters'),
    ('-bucket', 'start and end'),
    ('bucket-', 'start and end'),
    ('bucket.', 'start and end'),
    ('my..bucket', "'..'"),
    ('my-.bucket', 'hyphen next to a dot'),
    ('my.-bucket', 'hyphen next to a dot'),
    ('192.168.5.4', 'IP address'),
    ('xn--bucket', "'xn--'"),
    ('sthree-bucket', "'sthree-'"),
    ('bucket-s3alias', "'-s3alias'"),
    ('bucket--ol-s3', "'--ol-s3'"),
    ('bucket.mrap', "'.mrap'"),
    ('bucket--x-s3', "'--x-s3'"),
])
def test_invalid_s3_names(name, problem):
    problems = logic.bucket_name_problems(name, 's3')
    assert any(problem in p for p in problems), problems
    message = logic.bucket_name_error(name, 's3')
    assert repr(name) in message and problem in message and 's3' in message


@pytest.mark.parametrize('name', [
    'abc', 'mlflow_artifacts', 'my-bucket_1', 'a' * 63, 'example.com.' + 'b' * 63, '.'.join(['a' * 63] * 3),
])
def test_valid_gcs_names(name):
    assert logic.bucket_name_problems(name, 'gcs') == []


@pytest.mark.parametrize('name, problem', [
    ('ab', '3-63 characters'),
    ('a' * 64, '3-63 characters'),
    ('.'.join(['a' * 63] * 4), 'up to 222'),
    ('a' * 64 + '.com', 'at most 63'),
    ('MLflow', 'only lowercase letters'),
    ('_bucket', 'start and end'),
    ('bucket_', 'start and end'),
    ('10.0.0.1', 'IP address'),
    ('goog-artifacts', "start with 'goog'"),
    ('my-google-bucket', "'google'"),
    ('my-g00gle-bucket', "'google'"),
    ('a..b', "'..'"),
])
def test_invalid_gcs_names(name, problem):
    problems = logic.bucket_name_problems(name, 'gcs')
    assert any(problem in p for p in problems), problems


def test_name_rules_differ_per_provider():
    assert logic.bucket_name_problems('my_bucket', 'gcs') == []
    assert logic.bucket_name_problems('my_bucket', 's3')
    assert logic.bucket_name_problems('xn--bucket', 'gcs') == []


def test_every_problem_is_reported():
    message = logic.bucket_name_error('-A', 's3')
    assert '3-63 characters' in message
    assert 'only lowercase letters' in message
    assert 'start and end' in message


# --- error sorting ---------------------------------------------------------------------------

def client_error(code, status, operation='HeadBucket'):
    return botocore.exceptions.ClientError(
        {'Error': {'Code': code, 'Message': 'message of %s' % code},
         'ResponseMetadata': {'HTTPStatusCode': status}},
        operation,
    )


@pytest.mark.parametrize('exc, kind', [
    (client_error('InvalidAccessKeyId', 403), logic.AUTH),
    (client_error('SignatureDoesNotMatch', 403), logic.AUTH),
    (client_error('ExpiredToken', 400), logic.AUTH),
    (botocore.exceptions.NoCredentialsError(), logic.AUTH),
    (client_error('403', 403), logic.FORBIDDEN),
    (client_error('AccessDenied', 403), logic.FORBIDDEN),
    (client_error('404', 404), logic.NOT_FOUND),
    (client_error('NoSuchBucket', 404), logic.NOT_FOUND),
    (client_error('BucketAlreadyExists', 409), logic.TAKEN),
    (client_error('BucketAlreadyOwnedByYou', 409), logic.ALREADY_OURS),
    (client_error('BucketNotEmpty', 409), logic.NOT_EMPTY),
    (client_error('XMinioServerNotInitialized', 503), logic.TRANSIENT),
    (client_error('503', 503), logic.TRANSIENT),
    (client_error('InternalError', 500), logic.TRANSIENT),
    (client_error('SlowDown', 503), logic.TRANSIENT),
    (botocore.exceptions.EndpointConnectionError(endpoint_url='http://127.0.0.1:1'), logic.TRANSIENT),
    (botocore.exceptions.ConnectTimeoutError(endpoint_url='http://127.0.0.1:1'), logic.TRANSIENT),
    (botocore.exceptions.ReadTimeoutError(endpoint_url='http://127.0.0.1:1'), logic.TRANSIENT),
    (botocore.exceptions.SSLError(endpoint_url='https://127.0.0.1:1', error='bad cert'), logic.TLS),
    (client_error('InvalidBucketName', 400), logic.OTHER),
    (client_error('NotImplemented', 501), logic.OTHER),
    (ValueError('not from botocore'), logic.OTHER),
])
def test_classify_s3_error(exc, kind):
    assert logic.classify_s3_error(exc) == kind


@pytest.mark.parametrize('exc, kind', [
    (gexc.Unauthorized('no'), logic.AUTH),
    (gauth_exc.RefreshError('invalid_grant'), logic.AUTH),
    (gauth_exc.DefaultCredentialsError('none'), logic.AUTH),
    (gexc.Forbidden('no'), logic.FORBIDDEN),
    (gexc.NotFound('no'), logic.NOT_FOUND),
    (gexc.Conflict('taken'), logic.TAKEN),
    (gexc.ServiceUnavailable('later'), logic.TRANSIENT),
    (gexc.InternalServerError('oops'), logic.TRANSIENT),
    (gexc.BadGateway('proxy'), logic.TRANSIENT),
    (requests.exceptions.ConnectionError('refused'), logic.TRANSIENT),
    (requests.exceptions.ReadTimeout('slow'), logic.TRANSIENT),
    (gauth_exc.TransportError('token endpoint down'), logic.TRANSIENT),
    (requests.exceptions.SSLError('bad cert'), logic.TLS),
    (gexc.BadRequest('bad'), logic.OTHER),
    (gexc.MethodNotImplemented('no'), logic.OTHER),
    (KeyError('x'), logic.OTHER),
])
def test_classify_gcs_error(exc, kind):
    assert logic.classify_gcs_error(exc) == kind


# --- retries ---------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def failing(errors, result='done'):
    """A function raising the given exceptions one per call, then returning result."""
    errors = list(errors)
    calls = []

    def func(*args, **kwargs):
        calls.append((args, kwargs))
        if errors:
            raise errors.pop(0)
        return result
    func.calls = calls
    return func


def retrier(retries=3, delay=2.0, clock=None):
    clock = clock or FakeClock()
    return logic.Retrier(retries, delay, 'http://127.0.0.1:9000', logic.classify_s3_error,
                         sleep=clock.sleep, clock=clock), clock


def test_retrier_waits_out_a_starting_server():
    r, clock = retrier(retries=3)
    func = failing([botocore.exceptions.EndpointConnectionError(endpoint_url='x'), client_error('503', 503)])
    assert r.call(func, 1, key='v') == 'done'
    assert func.calls == [((1,), {'key': 'v'})] * 3
    assert clock.sleeps == [2.0, 2.0]


def test_retrier_gives_up_with_url_attempts_and_duration():
    r, clock = retrier(retries=2, delay=1.5)
    func = failing([botocore.exceptions.EndpointConnectionError(endpoint_url='http://127.0.0.1:9000/b')] * 5)
    with pytest.raises(logic.EndpointUnreachable) as raised:
        r.call(func)
    message = str(raised.value)
    assert 'http://127.0.0.1:9000' in message
    assert '3 attempt(s) over 3.0s' in message
    assert 'Could not connect' in message
    assert len(func.calls) == 3 and clock.sleeps == [1.5, 1.5]


def test_retrier_does_not_retry_credentials_errors():
    r, clock = retrier(retries=5)
    func = failing([client_error('InvalidAccessKeyId', 403)])
    with pytest.raises(botocore.exceptions.ClientError):
        r.call(func)
    assert len(func.calls) == 1 and clock.sleeps == []


def test_retrier_with_no_retries_tries_once():
    r, clock = retrier(retries=0)
    func = failing([client_error('503', 503)])
    with pytest.raises(logic.EndpointUnreachable, match=r'1 attempt\(s\)'):
        r.call(func)
    assert clock.sleeps == []


def test_retrier_clamps_negative_settings():
    r, dummy = retrier(retries=-4, delay=-1)
    assert (r.retries, r.delay) == (0, 0.0)


# --- S3 backend, against botocore's own request validation (Stubber) -----------------------------

@pytest.fixture
def s3():
    client = boto3.session.Session().client(
        's3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1',
        aws_access_key_id='AKIAUNITTEST', aws_secret_access_key='unit-secret',
        config=botocore.config.Config(s3={'addressing_style': 'path'}))
    stub = Stubber(client)
    clock = FakeClock()
    backend = logic.S3Backend(client, logic.Retrier(2, 1, 'http://127.0.0.1:9000', logic.classify_s3_error,
                                                    sleep=clock.sleep, clock=clock))
    with stub:
        yield backend, stub
        stub.assert_no_pending_responses()


def test_s3_exists(s3):
    backend, stub = s3
    stub.add_response('head_bucket', {}, {'Bucket': 'there'})
    stub.add_client_error('head_bucket', '404', http_status_code=404, expected_params={'Bucket': 'gone'})
    assert backend.exists('there') is True
    assert backend.exists('gone') is False


def test_s3_exists_retries_a_starting_server(s3):
    backend, stub = s3
    stub.add_client_error('head_bucket', 'XMinioServerNotInitialized', http_status_code=503)
    stub.add_response('head_bucket', {}, {'Bucket': 'there'})
    assert backend.exists('there') is True


def test_s3_forbidden_with_rejected_credentials(s3):
    backend, stub = s3
    stub.add_client_error('head_bucket', '403', http_status_code=403)
    stub.add_client_error('list_buckets', 'InvalidAccessKeyId', http_status_code=403)
    with pytest.raises(logic.CredentialsRejected, match='InvalidAccessKeyId.*check access_key and secret_key'):
        backend.exists('mlflow')


@pytest.mark.parametrize('probe_error', ['AccessDenied', None])
def test_s3_forbidden_with_working_credentials_is_someone_elses_bucket(s3, probe_error):
    backend, stub = s3
    stub.add_client_error('head_bucket', '403', http_status_code=403)
    if probe_error:
        stub.add_client_error('list_buckets', probe_error, http_status_code=403)
    else:
        stub.add_response('list_buckets', {'Buckets': []})
    with pytest.raises(logic.BucketOwnedElsewhere, match="may not access bucket 'mlflow'.*another account"):
        backend.exists('mlflow')


def test_s3_signature_mismatch_is_a_credentials_error(s3):
    backend, stub = s3
    stub.add_client_error('head_bucket', 'SignatureDoesNotMatch', http_status_code=403)
    with pytest.raises(logic.CredentialsRejected) as raised:
        backend.exists('mlflow')
    assert 'SignatureDoesNotMatch' in str(raised.value)
    assert 'unit-secret' not in str(raised.value) and 'AKIAUNITTEST' not in str(raised.value)


def test_s3_unexpected_error_names_bucket_and_endpoint(s3):
    backend, stub = s3
    stub.add_client_error('head_bucket', '400', http_status_code=400)
    with pytest.raises(logic.BucketOperationFailed, match="look up bucket 'mlflow' on http://127.0.0.1:9000"):
        backend.exists('mlflow')


def test_s3_create_in_default_region_has_no_location(s3):
    backend, stub = s3
    stub.add_response('create_bucket', {}, {'Bucket': 'mlflow'})
    backend.create('mlflow')


def test_s3_create_elsewhere_sends_location_constraint(s3):
    backend, stub = s3
    backend.region = 'eu-west-1'
    stub.add_response('create_bucket', {}, {
        'Bucket': 'mlflow', 'CreateBucketConfiguration': {'LocationConstraint': 'eu-west-1'}})
    backend.create('mlflow')


@pytest.mark.parametrize('code, status, error', [
    ('BucketAlreadyExists', 409, logic.BucketOwnedElsewhere),
    ('AccessDenied', 403, logic.BucketOperationFailed),
    ('InvalidLocationConstraint', 400, logic.BucketOperationFailed),
])
def test_s3_create_errors(s3, code, status, error):
    backend, stub = s3
    stub.add_client_error('create_bucket', code, http_status_code=status)
    with pytest.raises(error):
        backend.create('mlflow')


def test_s3_create_race_with_ourselves_is_fine(s3):
    backend, stub = s3
    stub.add_client_error('create_bucket', 'BucketAlreadyOwnedByYou', http_status_code=409)
    backend.create('mlflow')


def test_s3_is_empty_counts_versions_and_delete_markers(s3):
    backend, stub = s3
    stub.add_response('list_object_versions', {}, {'Bucket': 'b', 'MaxKeys': 1})
    stub.add_response('list_object_versions', {'DeleteMarkers': [{'Key': 'k', 'VersionId': 'v1'}]})
    assert backend.is_empty('b') is True
    assert backend.is_empty('b') is False


def test_s3_is_empty_without_versioning_support(s3):
    backend, stub = s3
    stub.add_client_error('list_object_versions', 'NotImplemented', http_status_code=501)
    stub.add_response('list_objects_v2', {'Contents': [{'Key': 'k'}]}, {'Bucket': 'b', 'MaxKeys': 1})
    assert backend.is_empty('b') is False


def test_s3_empty_deletes_every_version_batch_by_batch(s3):
    backend, stub = s3
    stub.add_response('list_object_versions', {
        'Versions': [{'Key': 'a', 'VersionId': '1'}, {'Key': 'a', 'VersionId': '2'}],
        'DeleteMarkers': [{'Key': 'b', 'VersionId': '3'}],
    }, {'Bucket': 'b', 'MaxKeys': logic.DELETE_BATCH})
    stub.add_response('delete_objects', {}, {'Bucket': 'b', 'Delete': {'Quiet': True, 'Objects': [
        {'Key': 'a', 'VersionId': '1'}, {'Key': 'a', 'VersionId': '2'}, {'Key': 'b', 'VersionId': '3'}]}})
    stub.add_response('list_object_versions', {'Versions': [{'Key': 'c', 'VersionId': 'null'}]})
    stub.add_response('delete_objects', {})
    stub.add_response('list_object_versions', {})
    assert backend.empty('b') == 4


def test_s3_empty_reports_objects_it_could_not_delete(s3):
    backend, stub = s3
    stub.add_response('list_object_versions', {'Versions': [{'Key': 'a', 'VersionId': '1'}]})
    stub.add_response('delete_objects', {'Errors': [{'Key': 'a', 'Code': 'AccessDenied', 'Message': 'no'}]})
    with pytest.raises(logic.BucketOperationFailed, match='1 object.*AccessDenied'):
        backend.empty('b')


def test_s3_delete(s3):
    backend, stub = s3
    stub.add_response('delete_bucket', {}, {'Bucket': 'b'})
    stub.add_client_error('delete_bucket', 'NoSuchBucket', http_status_code=404)
    stub.add_client_error('delete_bucket', 'BucketNotEmpty', http_status_code=409)
    backend.delete('b')
    backend.delete('b')
    with pytest.raises(logic.BucketNotEmpty, match='run again'):
        backend.delete('b')


def test_s3_tls_failure_points_at_ca_bundle(s3):
    backend, stub = s3

    def broken(**kwargs):
        raise botocore.exceptions.SSLError(endpoint_url='https://minio', error='certificate verify failed')
    backend.client.head_bucket = broken
    with pytest.raises(logic.BucketOperationFailed, match='ca_bundle'):
        backend.exists('b')


# --- GCS backend, against a small fake of the client -----------------------------------------------

class FakeBlob:
    def __init__(self, store, name, generation):
        self.store, self.name, self.generation = store, name, generation

    def delete(self, retry='default', timeout=None):
        assert retry is None and timeout
        self.store.blobs.remove((self.name, self.generation))


class FakeBucket:
    def __init__(self, store, name):
        self.store, self.name = store, name

    def delete(self, retry='default', timeout=None):
        assert retry is None and timeout
        self.store.deleted.append(self.name)
        if self.store.delete_error:
            raise self.store.delete_error


class FakeGcsClient:
    project = 'unit-project'

    def __init__(self, lookup=None, blobs=(), errors=None):
        self.lookup = lookup
        self.blobs = list(blobs)
        self.errors = dict(errors or {})
        self.created = []
        self.deleted = []
        self.delete_error = None
        self.list_calls = []

    def _raise(self, op):
        queue = self.errors.get(op)
        if queue:
            raise queue.pop(0)

    def lookup_bucket(self, name, retry='default', timeout=None):
        assert retry is None and timeout
        self._raise('lookup')
        return FakeBucket(self, name) if self.lookup else None

    def create_bucket(self, name, project=None, location=None, retry='default', timeout=None):
        assert retry is None and timeout
        self._raise('create')
        self.created.append((name, project, location))

    def list_blobs(self, name, max_results=None, versions=None, retry='default', timeout=None):
        assert retry is None and timeout and versions is True
        self._raise('list')
        self.list_calls.append(max_results)
        return iter([FakeBlob(self, n, g) for n, g in self.blobs[:max_results]])

    def list_buckets(self, max_results=None, retry='default', timeout=None):
        self._raise('list_buckets')
        return iter([])

    def bucket(self, name):
        return FakeBucket(self, name)


def gcs(client, retries=2):
    clock = FakeClock()
    r = logic.Retrier(retries, 1, 'http://127.0.0.1:4443', logic.classify_gcs_error, sleep=clock.sleep, clock=clock)
    return logic.GcsBackend(client, r, project='unit-project', location='EU')


def test_gcs_exists_and_create():
    client = FakeGcsClient(lookup=False)
    backend = gcs(client)
    assert backend.exists('b') is False
    backend.create('b')
    assert client.created == [('b', 'unit-project', 'EU')]
    client.lookup = True
    assert backend.exists('b') is True


def test_gcs_retries_refused_connections_then_gives_up():
    client = FakeGcsClient(errors={'lookup': [requests.exceptions.ConnectionError('refused')] * 3})
    with pytest.raises(logic.EndpointUnreachable, match=r'http://127.0.0.1:4443.*3 attempt\(s\)'):
        gcs(client).exists('b')
    client = FakeGcsClient(lookup=True, errors={'lookup': [gexc.ServiceUnavailable('starting')]})
    assert gcs(client).exists('b') is True


def test_gcs_auth_error():
    client = FakeGcsClient(errors={'lookup': [gauth_exc.RefreshError('invalid_grant: Invalid JWT Signature.')]})
    with pytest.raises(logic.CredentialsRejected, match='rejected the credentials.*credentials_file'):
        gcs(client).exists('b')


def test_gcs_forbidden_bucket_with_working_credentials_is_someone_elses():
    client = FakeGcsClient(errors={'lookup': [gexc.Forbidden('no')]})
    with pytest.raises(logic.BucketOwnedElsewhere, match='another project'):
        gcs(client).exists('b')


def test_gcs_forbidden_everywhere_is_a_credentials_problem():
    client = FakeGcsClient(errors={'lookup': [gexc.Forbidden('no')], 'list_buckets': [gexc.Forbidden('no')]})
    with pytest.raises(logic.CredentialsRejected, match='storage role'):
        gcs(client).exists('b')


@pytest.mark.parametrize('error, expected', [
    (gexc.Conflict('taken'), logic.BucketOwnedElsewhere),
    (gexc.Forbidden('no'), logic.BucketOperationFailed),
    (gexc.BadRequest('bad location'), logic.BucketOperationFailed),
])
def test_gcs_create_errors(error, expected):
    with pytest.raises(expected):
        gcs(FakeGcsClient(errors={'create': [error]})).create('b')


def test_gcs_empty_and_delete():
    client = FakeGcsClient(blobs=[('a', 1), ('a', 2), ('b/c', 7)])
    backend = gcs(client)
    assert backend.is_empty('b') is False
    assert backend.empty('b') == 3
    assert client.blobs == [] and backend.is_empty('b') is True
    backend.delete('b')
    assert client.deleted == ['b']


def test_gcs_delete_of_refilled_bucket():
    client = FakeGcsClient()
    client.delete_error = gexc.Conflict('not empty')
    with pytest.raises(logic.BucketNotEmpty):
        gcs(client).delete('b')
    client.delete_error = gexc.NotFound('gone')
    gcs(client).delete('b')


# --- ensure_bucket ---------------------------------------------------------------------------

class FakeBackend:
    def __init__(self, exists, empty=True):
        self.present = exists
        self.empty_bucket = empty
        self.calls = []

    def exists(self, name):
        self.calls.append('exists')
        return self.present

    def create(self, name):
        self.calls.append('create')

    def is_empty(self, name):
        self.calls.append('is_empty')
        return self.empty_bucket

    def empty(self, name):
        self.calls.append('empty')

    def delete(self, name):
        self.calls.append('delete')


@pytest.mark.parametrize('exists, state, check_mode, calls, created, deleted', [
    (False, 'present', False, ['exists', 'create'], True, False),
    (False, 'present', True, ['exists'], True, False),
    (True, 'present', False, ['exists'], False, False),
    (True, 'absent', False, ['exists', 'is_empty', 'delete'], False, True),
    (True, 'absent', True, ['exists', 'is_empty'], False, True),
    (False, 'absent', False, ['exists'], False, False),
])
def test_ensure_bucket(exists, state, check_mode, calls, created, deleted):
    backend = FakeBackend(exists)
    result = logic.ensure_bucket(backend, 'b', state, check_mode=check_mode)
    assert backend.calls == calls
    assert (result['created'], result['deleted'], result['state']) == (created, deleted, state)
    assert result['diff'] == {
        'before': {'name': 'b', 'state': 'present' if exists else 'absent'},
        'after': {'name': 'b', 'state': state},
    }


def test_ensure_refuses_to_delete_a_bucket_with_objects():
    backend = FakeBackend(True, empty=False)
    with pytest.raises(logic.BucketNotEmpty, match='force=true'):
        logic.ensure_bucket(backend, 'b', 'absent')
    assert 'delete' not in backend.calls and 'empty' not in backend.calls


@pytest.mark.parametrize('check_mode, calls', [
    (False, ['exists', 'is_empty', 'empty', 'delete']),
    (True, ['exists', 'is_empty']),
])
def test_ensure_force_empties_first(check_mode, calls):
    backend = FakeBackend(True, empty=False)
    result = logic.ensure_bucket(backend, 'b', 'absent', force=True, check_mode=check_mode)
    assert backend.calls == calls and result['deleted'] is True


# --- building the clients --------------------------------------------------------------------

S3_PARAMS = dict(endpoint_url='http://127.0.0.1:9000', region='us-east-1', access_key='AKIAUNITTEST',
                 secret_key='unit-secret', session_token=None, addressing_style='path', ca_bundle=None,
                 validate_certs=True, retries=4, retry_delay=0.5)


def test_tls_verify():
    assert logic.tls_verify(True, None) is True
    assert logic.tls_verify(True, '/ca.pem') == '/ca.pem'
    assert logic.tls_verify(False, '/ca.pem') is False


def test_s3_backend_from_params():
    backend = logic.s3_backend(dict(S3_PARAMS, addressing_style='virtual'))
    assert backend.client.meta.endpoint_url == 'http://127.0.0.1:9000'
    assert backend.client.meta.config.s3 == {'addressing_style': 'virtual'}
    assert backend.client.meta.config.retries['total_max_attempts'] == 1
    assert (backend.retrier.retries, backend.retrier.delay) == (4, 0.5)
    assert backend.retrier.endpoint == 'http://127.0.0.1:9000'


def test_s3_backend_without_endpoint_uses_the_regional_aws_one():
    backend = logic.s3_backend(dict(S3_PARAMS, endpoint_url=None, region='eu-west-1'))
    assert 'eu-west-1' in backend.client.meta.endpoint_url
    assert backend.region == 'eu-west-1'


GCS_PARAMS = dict(endpoint_url=None, credentials_file=None, project=None, location=None, ca_bundle=None,
                  validate_certs=True, retries=1, retry_delay=0)


def test_gcs_backend_against_an_emulator_needs_no_credentials(monkeypatch):
    monkeypatch.setenv('STORAGE_EMULATOR_HOST', 'http://127.0.0.1:4443')
    backend = logic.gcs_backend(dict(GCS_PARAMS, credentials_file='/nonexistent.json'), {'STORAGE_EMULATOR_HOST': 'http://127.0.0.1:4443'})
    assert backend.endpoint == 'http://127.0.0.1:4443'
    assert type(backend.client._credentials).__name__ == 'AnonymousCredentials'


def test_gcs_backend_with_a_key_file(tmp_path, monkeypatch, service_account):
    monkeypatch.delenv('STORAGE_EMULATOR_HOST', raising=False)
    data, info, dummy = service_account
    key_file = tmp_path / 'sa.json'
    key_file.write_bytes(data)
    backend = logic.gcs_backend(dict(GCS_PARAMS, credentials_file=str(key_file), validate_certs=False), {})
    assert backend.project == info['project_id']
    assert backend.client._credentials.service_account_email == info['client_email']
    assert backend.client._http.verify is False
    assert backend.endpoint == logic.GCS_DEFAULT_ENDPOINT


def test_gcs_backend_with_an_unreadable_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv('STORAGE_EMULATOR_HOST', raising=False)
    bad = tmp_path / 'sa.json'
    bad.write_text(json.dumps({'type': 'service_account'}))
    for path in (str(bad), str(tmp_path / 'missing.json')):
        with pytest.raises(logic.CredentialsRejected, match='credentials_file'):
            logic.gcs_backend(dict(GCS_PARAMS, credentials_file=path), {})


def test_gcs_backend_without_any_credentials(monkeypatch):
    import google.auth

    def no_credentials(*args, **kwargs):
        raise gauth_exc.DefaultCredentialsError('Your default credentials were not found.')
    monkeypatch.delenv('STORAGE_EMULATOR_HOST', raising=False)
    monkeypatch.setattr(google.auth, 'default', no_credentials)
    with pytest.raises(logic.CredentialsRejected, match='no Google credentials found'):
        logic.gcs_backend(dict(GCS_PARAMS), {})


def test_error_text_is_short_and_readable():
    refresh = gauth_exc.RefreshError('invalid_grant: Invalid JWT Signature.', {'error': 'invalid_grant'})
    assert logic._short(refresh) == 'invalid_grant: Invalid JWT Signature.'  # pylint: disable=protected-access
    assert logic._short(ValueError('x' * 400)).endswith('...')  # pylint: disable=protected-access
    assert len(logic._short(ValueError('x' * 400))) == 300  # pylint: disable=protected-access
    assert logic._short(KeyError()) == 'KeyError'  # pylint: disable=protected-access
