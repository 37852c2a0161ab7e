# -*- coding: utf-8 -*-
"""The probe's checks against an in-memory S3 (the real stores: tests/integration/test_s3_probe.py)."""

from __future__ import annotations

import io

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import s3_probe as logic


class ClientError(Exception):
    def __init__(self, code, status=400):
        super().__init__(code)
        self.response = {'Error': {'Code': code, 'Message': 'refused'}, 'ResponseMetadata': {'HTTPStatusCode': status}}


class FakeS3:
    """Enough of boto3's S3 client for the probe, keeping objects in a dict."""

    def __init__(self):
        self.objects, self.uploads, self.calls = {}, {}, []

    def put_object(self, Bucket, Key, Body):
        self.objects[Key] = bytes(Body)

    def get_object(self, Bucket, Key):
        if Key not in self.objects:
            raise ClientError('NoSuchKey', 404)
        return {'Body': io.BytesIO(self.objects[Key])}

    def head_object(self, Bucket, Key):
        return {'ContentLength': len(self.objects[Key])}

    def _list(self, Prefix, Delimiter):
        keys, prefixes = [], set()
        for key in sorted(self.objects):
            if not key.startswith(Prefix):
                continue
            rest = key[len(Prefix):]
            if Delimiter and Delimiter in rest:
                prefixes.add(Prefix + rest.split(Delimiter)[0] + Delimiter)
            else:
                keys.append({'Key': key})
        answer = {'Contents': keys} if keys else {}
        if prefixes:
            answer['CommonPrefixes'] = [{'Prefix': prefix} for prefix in sorted(prefixes)]
        return answer

    def list_objects_v2(self, Bucket, Prefix='', Delimiter=''):
        return self._list(Prefix, Delimiter)

    def list_objects(self, Bucket, Prefix='', Delimiter=''):
        return self._list(Prefix, Delimiter)

    def create_multipart_upload(self, Bucket, Key):
        upload = 'u%d' % len(self.uploads)
        self.uploads[upload] = (Key, {})
        return {'UploadId': upload}

    def upload_part(self, Bucket, Key, UploadId, PartNumber, Body):
        self.uploads[UploadId][1][PartNumber] = bytes(Body)
        return {'ETag': '"%d"' % PartNumber}

    def complete_multipart_upload(self, Bucket, Key, UploadId, MultipartUpload):
        key, parts = self.uploads.pop(UploadId)
        self.objects[key] = b''.join(parts[part['PartNumber']] for part in MultipartUpload['Parts'])

    def abort_multipart_upload(self, Bucket, Key, UploadId):
        self.uploads.pop(UploadId, None)

    def list_multipart_uploads(self, Bucket, Prefix=''):
        return {'Uploads': [{'Key': key, 'UploadId': upload} for upload, (key, dummy) in self.uploads.items()
                            if key.startswith(Prefix)]}

    def generate_presigned_url(self, method, ExpiresIn, Params):
        return 'fake://%s/%s' % (method, Params['Key'])

    def delete_object(self, Bucket, Key):
        self.objects.pop(Key, None)

    def delete_objects(self, Bucket, Delete):
        for item in Delete['Objects']:
            self.objects.pop(item['Key'], None)
        return {'Deleted': Delete['Objects']}

    def fetch(self, method, url, body):
        kind, key = url[len('fake://'):].split('/', 1)
        if method == 'GET' and kind == 'get_object':
            return (200, self.objects[key]) if key in self.objects else (404, b'')
        if method == 'PUT' and kind == 'put_object':
            self.objects[key] = body
            return 200, b''
        return 403, b''


def run(client, read_only=False, large=6 * 1024 * 1024):
    return logic.probe(client, 'mlflow', '.probe/x/', client.fetch, large, read_only=read_only)


def test_a_store_with_everything_passes_every_check_and_cleanup_leaves_nothing():
    client = FakeS3()
    found = run(client)
    assert set(found) == set(logic.NAMES)
    assert all(check['ok'] for check in found.values()), found
    assert logic.missing(found, logic.NAMES) == []
    assert client.objects
    assert logic.cleanup(client, 'mlflow', '.probe/x/') == ''
    assert client.objects == {} and client.uploads == {}


def test_check_mode_only_lists():
    client = FakeS3()
    found = run(client, read_only=True)
    assert client.objects == {} and client.uploads == {}
    assert [name for name, check in found.items() if check['ok']] == ['list_v2_delimiter', 'list_v1_delimiter']
    assert all(found[name]['ok'] is None and 'check mode' in found[name]['detail']
               for name in logic.NAMES if name not in logic.READ_ONLY)
    # Not run is not missing.
    assert logic.missing(found, logic.NAMES) == []


class NoV1Listing(FakeS3):
    def list_objects(self, Bucket, Prefix='', Delimiter=''):
        raise ClientError('NotImplemented', 501)


class FlatListing(FakeS3):
    """Ignores the delimiter, as some gateways do."""

    def list_objects_v2(self, Bucket, Prefix='', Delimiter=''):
        return self._list(Prefix, '')


class NoMultipart(FakeS3):
    def create_multipart_upload(self, Bucket, Key):
        raise ClientError('NotImplemented', 501)


class PresignedRefused(FakeS3):
    def fetch(self, method, url, body):
        return 403, b'<Error><Code>SignatureDoesNotMatch</Code></Error>'


class BatchDeleteBroken(FakeS3):
    def delete_objects(self, Bucket, Delete):
        return {'Errors': [{'Key': Delete['Objects'][0]['Key'], 'Code': 'InternalError'}]}


@pytest.mark.parametrize('store, lacking, words', [
    (NoV1Listing, ['list_v1_delimiter'], 'NotImplemented (HTTP 501)'),
    (FlatListing, ['list_v2_delimiter'], 'expected'),
    (NoMultipart, ['multipart', 'multipart_abort', 'large_object'], 'NotImplemented (HTTP 501)'),
    (PresignedRefused, ['presigned_get', 'presigned_put'], 'answered 403'),
    (BatchDeleteBroken, ['delete'], 'InternalError'),
])
def test_a_store_that_lacks_a_feature_is_named_with_what_it_answered(store, lacking, words):
    client = store()
    found = run(client)
    assert logic.missing(found, logic.NAMES) == lacking
    assert all(words in found[name]['detail'] for name in lacking[:1])
    message = logic.failure_message('http://store:9000', 'mlflow', found, lacking)
    assert message.startswith('The S3 endpoint http://store:9000 (bucket mlflow) lacks what MLflow needs: %s (' % lacking[0])
    logic.cleanup(client, 'mlflow', '.probe/x/')
    assert not [key for key in client.objects if key.startswith('.probe/x/')]


def test_only_required_checks_count_and_the_large_object_can_be_left_out():
    client = NoV1Listing()
    found = logic.probe(client, 'mlflow', '.probe/x/', client.fetch, 0)
    assert found['large_object']['ok'] is None
    assert logic.missing(found, ['put_get', 'multipart']) == []
    assert logic.missing(found, ['list_v1_delimiter']) == ['list_v1_delimiter']


def test_unknown_check_names_are_refused():
    assert logic.requirement_problems(['put_get', 'acl']).startswith('require must name checks of put_get, ')
    assert logic.requirement_problems(list(logic.NAMES)) == ''


def test_cleanup_reports_what_it_could_not_remove():
    class Stuck(FakeS3):
        def delete_object(self, Bucket, Key):
            raise ClientError('AccessDenied', 403)
    client = Stuck()
    client.put_object('mlflow', '.probe/x/left.bin', b'x')
    assert logic.cleanup(client, 'mlflow', '.probe/x/') == 'objects: AccessDenied (HTTP 403): refused'
