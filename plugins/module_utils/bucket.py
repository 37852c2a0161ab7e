# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.bucket, as plain functions and small classes.

Name rules, the sorting of client errors into what the user has to fix, the bounded retry
loop for an endpoint that is still coming up, and one backend per storage provider
(S3-compatible through boto3, Google Cloud Storage through google-cloud-storage) behind the
same four calls: exists, is_empty, empty, delete (plus create). ensure_bucket() decides.
"""

from __future__ import annotations

import time
import traceback

# The name rules live apart, without the client libraries (the roles' preflights use them too).
from ansible_collections.filament.mlflow.plugins.module_utils.bucket_names import (  # noqa: F401, pylint: disable=unused-import
    S3_RESERVED_PREFIXES, S3_RESERVED_SUFFIXES, bucket_name_error, bucket_name_problems)

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None

try:
    import requests.exceptions
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as gauth_exc
    from google.cloud import storage as gcs_storage
    from google.oauth2 import service_account
except ImportError:
    HAS_GCS = False
    GCS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_GCS = True
    GCS_IMPORT_ERROR = None

CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
GCS_DEFAULT_ENDPOINT = 'https://storage.googleapis.com'
GCS_SCOPES = ('https://www.googleapis.com/auth/devstorage.full_control',)
DELETE_BATCH = 1000

# What an error means for the user; the backends turn these into BucketError subclasses.
TRANSIENT = 'transient'
AUTH = 'auth'
TLS = 'tls'
NOT_FOUND = 'not_found'
FORBIDDEN = 'forbidden'
TAKEN = 'taken'
ALREADY_OURS = 'already_ours'
NOT_EMPTY = 'not_empty'
OTHER = 'other'

S3_AUTH_CODES = frozenset((
    'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken',
    'InvalidClientTokenId', 'TokenRefreshRequired',
))
S3_TRANSIENT_CODES = frozenset((
    'ServiceUnavailable', 'SlowDown', 'InternalError', 'RequestTimeout',
    'XMinioServerNotInitialized',
))


class BucketError(Exception):
    """A failure reported to the user as is: the message says what to check."""


class CredentialsRejected(BucketError):
    pass


class EndpointUnreachable(BucketError):
    pass


class BucketOwnedElsewhere(BucketError):
    pass


class BucketNotEmpty(BucketError):
    pass


class BucketOperationFailed(BucketError):
    pass


# The connection options of an S3 endpoint that filament.mlflow.bucket and filament.mlflow.s3_probe
# share (documented by the doc fragments filament.mlflow.storage and filament.mlflow.storage.s3).
S3_CONNECTION_SPEC = dict(
    endpoint_url=dict(type='str'),
    region=dict(type='str', default='us-east-1'),
    access_key=dict(type='str', no_log=True, aliases=['aws_access_key_id']),
    secret_key=dict(type='str', no_log=True, aliases=['aws_secret_access_key']),
    session_token=dict(type='str', no_log=True, aliases=['aws_session_token']),
    addressing_style=dict(type='str', default='path', choices=['path', 'virtual', 'auto']),
    ca_bundle=dict(type='path'),
    validate_certs=dict(type='bool', default=True),
    retries=dict(type='int', default=12),
    retry_delay=dict(type='float', default=5),
)


def _s3_code_status(exc):
    response = getattr(exc, 'response', None) or {}
    code = str(response.get('Error', {}).get('Code', ''))
    status = response.get('ResponseMetadata', {}).get('HTTPStatusCode') or 0
    return code, int(status)


def classify_s3_error(exc):
    """What a boto3/botocore exception means for the user (one of the kinds above)."""
    if not HAS_BOTO3:
        return OTHER
    if isinstance(exc, botocore.exceptions.SSLError):
        return TLS
    if isinstance(exc, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError)):
        return AUTH
    if isinstance(exc, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        return TRANSIENT
    if not isinstance(exc, botocore.exceptions.ClientError):
        return OTHER
    code, status = _s3_code_status(exc)
    if code in S3_AUTH_CODES:
        return AUTH
    if code in S3_TRANSIENT_CODES or (status >= 500 and code != 'NotImplemented' and status != 501):
        return TRANSIENT
    if code in ('404', 'NoSuchBucket', 'NotFound') or status == 404:
        return NOT_FOUND
    if code == 'BucketAlreadyExists':
        return TAKEN
    if code == 'BucketAlreadyOwnedByYou':
        return ALREADY_OURS
    if code == 'BucketNotEmpty':
        return NOT_EMPTY
    if code in ('403', 'AccessDenied') or status == 403:
        return FORBIDDEN
    return OTHER


def classify_gcs_error(exc):
    """What a google-cloud-storage / google-auth / requests exception means for the user."""
    if not HAS_GCS:
        return OTHER
    if isinstance(exc, requests.exceptions.SSLError):
        return TLS
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, gauth_exc.TransportError)):
        return TRANSIENT
    if isinstance(exc, (gauth_exc.RefreshError, gauth_exc.DefaultCredentialsError)):
        return AUTH
    if not isinstance(exc, gexc.GoogleAPICallError):
        return OTHER
    status = int(exc.code or 0)
    if status >= 500 and status != 501:  # 501 Not Implemented does not go away by waiting
        return TRANSIENT
    return {401: AUTH, 403: FORBIDDEN, 404: NOT_FOUND, 409: TAKEN}.get(status, OTHER)


class Retrier:
    """Calls a function again while the endpoint is unreachable or answers 5xx, within a bound.

    Any other error (credentials, names, permissions) is raised at once: waiting cannot fix it.
    """

    def __init__(self, retries, delay, endpoint, classify, sleep=time.sleep, clock=time.monotonic):
        self.retries = max(0, int(retries))
        self.delay = max(0.0, float(delay))
        self.endpoint = endpoint
        self.classify = classify
        self.sleep = sleep
        self.clock = clock

    def call(self, func, *args, **kwargs):
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if self.classify(exc) != TRANSIENT:
                    raise
                if attempt > self.retries:
                    raise EndpointUnreachable(
                        'storage endpoint %s is unreachable: %d attempt(s) over %.1fs failed, the last with: %s. '
                        'Check that the server is running and listening there and that endpoint_url is right; '
                        'raise retries/retry_delay if it is still starting.'
                        % (self.endpoint, attempt, self.clock() - started, _short(exc))
                    ) from exc
                self.sleep(self.delay)


def _short(exc):
    # google-auth errors carry (message, response data): the message is what helps
    args = getattr(exc, 'args', ())
    text = args[0] if len(args) > 1 and isinstance(args[0], str) else str(exc)
    text = text.strip() or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + '...'


class S3Backend:
    """A bucket on S3 or an S3-compatible server (MinIO, Ceph RGW, ...)."""

    def __init__(self, client, retrier, region=None):
        self.client = client
        self.retrier = retrier
        self.region = region
        self.endpoint = retrier.endpoint

    def _call(self, func, **kwargs):
        try:
            return self.retrier.call(func, **kwargs)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_s3_error(exc)
            if kind == AUTH:
                code = _s3_code_status(exc)[0] or type(exc).__name__
                raise CredentialsRejected(
                    'S3 endpoint %s rejected the credentials (%s): check access_key and secret_key '
                    '(and session_token), and that this user exists on that server.' % (self.endpoint, code)
                ) from exc
            if kind == TLS:
                raise BucketOperationFailed(
                    'TLS verification with %s failed (%s): check ca_bundle, or validate_certs for a test server.'
                    % (self.endpoint, _short(exc))
                ) from exc
            raise

    def _unexpected(self, action, name, exc):
        return BucketOperationFailed('could not %s bucket %r on %s: %s' % (action, name, self.endpoint, _short(exc)))

    def _forbidden(self, name):
        # A 403 on HeadBucket carries no error code: wrong credentials and "not yours" look the
        # same. Listing buckets tells them apart (InvalidAccessKeyId vs. AccessDenied or success).
        try:
            self._call(self.client.list_buckets)
        except CredentialsRejected:
            raise
        except Exception:  # pylint: disable=broad-exception-caught
            pass
        return BucketOwnedElsewhere(
            'these credentials may not access bucket %r on %s (HTTP 403): it belongs to another account, or a '
            'policy denies this access key. Choose another name, or grant the access key rights on the bucket.'
            % (name, self.endpoint)
        )

    def exists(self, name):
        try:
            self._call(self.client.head_bucket, Bucket=name)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_s3_error(exc)
            if kind == NOT_FOUND:
                return False
            if kind == FORBIDDEN:
                raise self._forbidden(name) from exc
            raise self._unexpected('look up', name, exc) from exc
        return True

    def create(self, name):
        kwargs = {'Bucket': name}
        if self.region and self.region != 'us-east-1':
            kwargs['CreateBucketConfiguration'] = {'LocationConstraint': self.region}
        try:
            self._call(self.client.create_bucket, **kwargs)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_s3_error(exc)
            if kind == ALREADY_OURS:
                return
            if kind == TAKEN:
                raise BucketOwnedElsewhere(
                    'bucket %r already exists and belongs to another account (BucketAlreadyExists): '
                    'bucket names are shared by all users of %s, choose another name.' % (name, self.endpoint)
                ) from exc
            if kind == FORBIDDEN:
                raise BucketOperationFailed(
                    'access denied creating bucket %r on %s: grant this access key s3:CreateBucket, '
                    'or have the bucket created for it.' % (name, self.endpoint)
                ) from exc
            raise self._unexpected('create', name, exc) from exc

    def _list_page(self, name, limit):
        try:
            page = self._call(self.client.list_object_versions, Bucket=name, MaxKeys=limit)
            entries = page.get('Versions', []) + page.get('DeleteMarkers', [])
            return [{'Key': e['Key'], 'VersionId': e['VersionId']} for e in entries]
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if _s3_code_status(exc)[0] not in ('NotImplemented', 'MethodNotAllowed'):
                raise self._unexpected('list objects of', name, exc) from exc
        # Servers without object versions: plain keys are all there is.
        page = self._call(self.client.list_objects_v2, Bucket=name, MaxKeys=limit)
        return [{'Key': e['Key']} for e in page.get('Contents', [])]

    def is_empty(self, name):
        return not self._list_page(name, 1)

    def empty(self, name):
        """Delete every object (and every version) in the bucket; returns how many."""
        removed = 0
        while True:
            batch = self._list_page(name, DELETE_BATCH)
            if not batch:
                return removed
            answer = self._call(self.client.delete_objects, Bucket=name, Delete={'Objects': batch, 'Quiet': True})
            errors = answer.get('Errors') or []
            if errors:
                raise BucketOperationFailed(
                    'could not empty bucket %r: %d object(s) were not deleted, the first with %s (%s). '
                    'Check that this access key may delete objects there.'
                    % (name, len(errors), errors[0].get('Code'), errors[0].get('Message'))
                )
            removed += len(batch)

    def delete(self, name):
        try:
            self._call(self.client.delete_bucket, Bucket=name)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_s3_error(exc)
            if kind == NOT_FOUND:
                return
            if kind == NOT_EMPTY:
                raise BucketNotEmpty(
                    'bucket %r received new objects while it was being deleted: run again.' % name
                ) from exc
            raise self._unexpected('delete', name, exc) from exc


class GcsBackend:
    """A bucket on Google Cloud Storage (or an emulator named by STORAGE_EMULATOR_HOST)."""

    def __init__(self, client, retrier, project=None, location=None, timeout=READ_TIMEOUT):
        self.client = client
        self.retrier = retrier
        self.project = project
        self.location = location
        self.timeout = timeout
        self.endpoint = retrier.endpoint

    def _call(self, func, *args, **kwargs):
        kwargs.update(retry=None, timeout=self.timeout)
        try:
            return self.retrier.call(func, *args, **kwargs)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_gcs_error(exc)
            if kind == AUTH:
                raise CredentialsRejected(
                    'Google Cloud Storage rejected the credentials (%s): check credentials_file (a service '
                    'account key of this project), or the application default credentials.' % _short(exc)
                ) from exc
            if kind == TLS:
                raise BucketOperationFailed(
                    'TLS verification with %s failed (%s): check ca_bundle, or validate_certs for a test server.'
                    % (self.endpoint, _short(exc))
                ) from exc
            raise

    def _listing(self, *args, **kwargs):
        # Iterating makes the HTTP calls, so it happens inside the retried function.
        return self._call(lambda **kw: list(self.client.list_blobs(*args, **kw)), **kwargs)

    def _unexpected(self, action, name, exc):
        return BucketOperationFailed('could not %s bucket %r on %s: %s' % (action, name, self.endpoint, _short(exc)))

    def _forbidden(self, name):
        # 403 is both "no rights at all" and "someone else's bucket"; listing our project's
        # buckets tells them apart.
        try:
            self._call(lambda **kw: list(self.client.list_buckets(max_results=1, **kw)))
        except BucketError:
            raise
        except Exception as probe:  # pylint: disable=broad-exception-caught
            if classify_gcs_error(probe) == FORBIDDEN:
                return CredentialsRejected(
                    'Google Cloud Storage denied access (HTTP 403) to bucket %r and to the buckets of project '
                    '%s: give the service account a storage role (e.g. roles/storage.admin) in that project.'
                    % (name, self.client.project)
                )
        return BucketOwnedElsewhere(
            'these credentials may not access bucket %r (HTTP 403): it belongs to another project, or its IAM '
            'policy denies this account. Choose another name, or grant the account access to the bucket.' % name
        )

    def exists(self, name):
        try:
            return self._call(self.client.lookup_bucket, name) is not None
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if classify_gcs_error(exc) == FORBIDDEN:
                raise self._forbidden(name) from exc
            raise self._unexpected('look up', name, exc) from exc

    def create(self, name):
        try:
            self._call(self.client.create_bucket, name, project=self.project, location=self.location)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_gcs_error(exc)
            if kind == TAKEN:
                raise BucketOwnedElsewhere(
                    'bucket %r already exists in another project (HTTP 409): bucket names are global on '
                    'Google Cloud Storage, choose another name.' % name
                ) from exc
            if kind == FORBIDDEN:
                raise BucketOperationFailed(
                    'access denied creating bucket %r in project %s: grant the account storage.buckets.create '
                    'there, or check project.' % (name, self.project or self.client.project)
                ) from exc
            raise self._unexpected('create', name, exc) from exc

    def is_empty(self, name):
        return not self._listing(name, max_results=1, versions=True)

    def empty(self, name):
        removed = 0
        while True:
            blobs = self._listing(name, max_results=DELETE_BATCH, versions=True)
            if not blobs:
                return removed
            for blob in blobs:
                try:
                    self._call(blob.delete)
                except BucketError:
                    raise
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    if classify_gcs_error(exc) != NOT_FOUND:
                        raise self._unexpected('empty', name, exc) from exc
                removed += 1

    def delete(self, name):
        try:
            self._call(self.client.bucket(name).delete)
        except BucketError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            kind = classify_gcs_error(exc)
            if kind == NOT_FOUND:
                return
            if kind == TAKEN:
                raise BucketNotEmpty(
                    'bucket %r received new objects while it was being deleted: run again.' % name
                ) from exc
            raise self._unexpected('delete', name, exc) from exc


def ensure_bucket(backend, name, state, force=False, check_mode=False):
    """Bring the bucket to `state`; returns the result the module reports (without `changed`)."""
    exists = backend.exists(name)
    created = deleted = False
    if state == 'present' and not exists:
        if not check_mode:
            backend.create(name)
        created = True
    elif state == 'absent' and exists:
        if not backend.is_empty(name):
            if not force:
                raise BucketNotEmpty(
                    'bucket %r is not empty, so it was not deleted: empty it first, or set force=true to delete '
                    'it together with all its objects.' % name
                )
            if not check_mode:
                backend.empty(name)
        if not check_mode:
            backend.delete(name)
        deleted = True
    return {
        'name': name,
        'state': state,
        'created': created,
        'deleted': deleted,
        'diff': {
            'before': {'name': name, 'state': 'present' if exists else 'absent'},
            'after': {'name': name, 'state': state},
        },
    }


def tls_verify(validate_certs, ca_bundle):
    """The `verify` argument of boto3 and requests: False, a CA bundle path, or True."""
    if not validate_certs:
        return False
    return ca_bundle or True


def s3_client(params, retries=None):
    """A boto3 S3 client from the connection options of S3_CONNECTION_SPEC (boto3 must be importable).
    retries: botocore's retry settings; by default none, for a caller that retries itself."""
    config = botocore.config.Config(
        s3={'addressing_style': params['addressing_style']},
        retries=retries or {'total_max_attempts': 1},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        request_checksum_calculation='when_required',
        response_checksum_validation='when_required',
    )
    return boto3.session.Session().client(
        's3',
        endpoint_url=params.get('endpoint_url') or None,
        region_name=params.get('region') or None,
        aws_access_key_id=params.get('access_key') or None,
        aws_secret_access_key=params.get('secret_key') or None,
        aws_session_token=params.get('session_token') or None,
        verify=tls_verify(params.get('validate_certs', True), params.get('ca_bundle')),
        config=config,
    )


def s3_backend(params):
    """An S3Backend from the module's parameters (boto3 must be importable)."""
    client = s3_client(params)  # Retrier does the retrying, and only where it helps
    retrier = Retrier(params['retries'], params['retry_delay'], client.meta.endpoint_url, classify_s3_error)
    return S3Backend(client, retrier, params.get('region'))


def gcs_endpoint(params, environ):
    return params.get('endpoint_url') or environ.get('STORAGE_EMULATOR_HOST') or GCS_DEFAULT_ENDPOINT


def gcs_backend(params, environ):
    """A GcsBackend from the module's parameters (google-cloud-storage must be importable).

    With STORAGE_EMULATOR_HOST set the client talks to that emulator without credentials.
    """
    retrier = Retrier(params['retries'], params['retry_delay'], gcs_endpoint(params, environ), classify_gcs_error)
    credentials = None
    project = params.get('project')
    if params.get('credentials_file') and not environ.get('STORAGE_EMULATOR_HOST'):
        try:
            credentials = service_account.Credentials.from_service_account_file(
                params['credentials_file'], scopes=GCS_SCOPES)
        except (OSError, ValueError) as exc:
            raise CredentialsRejected(
                'could not load credentials_file %s (%s): it must be a readable service account key in JSON.'
                % (params['credentials_file'], type(exc).__name__)
            ) from exc
        project = project or credentials.project_id
    options = {'api_endpoint': params['endpoint_url']} if params.get('endpoint_url') else None
    try:
        client = gcs_storage.Client(project=project, credentials=credentials, client_options=options)
    except gauth_exc.DefaultCredentialsError as exc:
        raise CredentialsRejected(
            'no Google credentials found: set credentials_file, or configure application default credentials '
            '(GOOGLE_APPLICATION_CREDENTIALS) on the host.'
        ) from exc
    except OSError as exc:
        raise BucketOperationFailed('could not determine the Google Cloud project: set project.') from exc
    if not params.get('validate_certs', True) or params.get('ca_bundle'):
        client._http.verify = tls_verify(params.get('validate_certs', True), params.get('ca_bundle'))  # pylint: disable=protected-access
    return GcsBackend(client, retrier, project=project, location=params.get('location'))
