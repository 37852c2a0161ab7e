# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.s3_probe: does an S3 endpoint do what MLflow's artifact store needs?

Each check is one thing MLflow's server or client does with the bucket: put and get, list a
"directory" with ListObjectsV2 and with ListObjects (v1), a multipart upload (and an aborted one),
presigned GET and PUT URLs, a large object up and down, and deleting objects one by one and in a
batch. Every check writes only under one temporary prefix of the bucket; cleanup() removes that
prefix (objects and unfinished uploads) whatever happened. probe() returns one entry per check:
whether it worked, what went wrong, how long it took.
"""

from __future__ import annotations

import hashlib
import random
import time

CHECKS = (
    ('put_get', 'an object written and read back'),
    ('list_v2_delimiter', 'ListObjectsV2 with a delimiter (how MLflow lists an artifact directory)'),
    ('list_v1_delimiter', 'ListObjects (v1) with a delimiter'),
    ('multipart', 'a multipart upload of two parts, completed and read back'),
    ('multipart_abort', 'a multipart upload aborted, leaving no upload behind'),
    ('presigned_get', 'an object read through a presigned GET URL'),
    ('presigned_put', 'an object written through a presigned PUT URL'),
    ('large_object', 'a large object written and read back with the same sha256'),
    ('delete', 'objects deleted one by one and in a batch'),
)
NAMES = tuple(name for name, dummy in CHECKS)
# The checks that write nothing: all a check run may do.
READ_ONLY = ('list_v2_delimiter', 'list_v1_delimiter')
PART = 5 * 1024 * 1024  # S3's smallest part but the last


class ProbeFailed(Exception):
    """A check found the endpoint lacking; the message says what it saw."""


def payload(size, seed):
    """size bytes that differ from seed to seed (fast; not for secrets)."""
    return random.Random(seed).randbytes(size)


def describe(exc):
    """A one-line account of an error, with the S3 error code where there is one."""
    response = getattr(exc, 'response', None) or {}
    error = response.get('Error') or {}
    status = (response.get('ResponseMetadata') or {}).get('HTTPStatusCode')
    if error.get('Code'):
        return '%s%s: %s' % (error['Code'], ' (HTTP %s)' % status if status else '', error.get('Message') or exc)
    return '%s: %s' % (type(exc).__name__, exc)


def _expect(condition, message):
    if not condition:
        raise ProbeFailed(message)


def _read(client, bucket, key):
    return client.get_object(Bucket=bucket, Key=key)['Body'].read()


def _listed(answer):
    keys = sorted(item['Key'] for item in answer.get('Contents') or [])
    prefixes = sorted(item['Prefix'] for item in answer.get('CommonPrefixes') or [])
    return keys, prefixes


class Probe:
    """The checks, against one bucket, under one prefix. fetch(method, url, body) -> (status, body)
    makes the plain HTTP requests of the presigned URLs."""

    def __init__(self, client, bucket, prefix, fetch, large_bytes):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.fetch = fetch
        self.large_bytes = large_bytes

    def key(self, *parts):
        return self.prefix + '/'.join(parts)

    def put_get(self):
        body = payload(1024, 'put_get')
        self.client.put_object(Bucket=self.bucket, Key=self.key('put_get.bin'), Body=body)
        _expect(_read(self.client, self.bucket, self.key('put_get.bin')) == body, 'the object read back differs')

    def _tree(self):
        for name in ('dir/a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'top.txt'):
            self.client.put_object(Bucket=self.bucket, Key=self.key('tree', name), Body=name.encode())

    def _expect_tree(self, keys, prefixes):
        wanted = ([self.key('tree', 'dir/a.txt'), self.key('tree', 'dir/b.txt')], [self.key('tree', 'dir/sub/')])
        _expect((keys, prefixes) == wanted, 'listed %s and %s under %s, expected %s and %s'
                % (keys, prefixes, self.key('tree', 'dir/'), wanted[0], wanted[1]))

    def _listing(self, lister, write):
        # Read only, the listing of a prefix that holds nothing still says whether the call works.
        if write:
            self._tree()
        answer = lister(Bucket=self.bucket, Prefix=self.key('tree', 'dir/'), Delimiter='/')
        if write:
            self._expect_tree(*_listed(answer))

    def list_v2_delimiter(self, write=True):
        self._listing(self.client.list_objects_v2, write)

    def list_v1_delimiter(self, write=True):
        self._listing(self.client.list_objects, write)

    def multipart(self):
        key = self.key('multipart.bin')
        parts = [payload(PART, 'part1'), payload(1024, 'part2')]
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)['UploadId']
        done = []
        for number, body in enumerate(parts, 1):
            etag = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number,
                                           Body=body)['ETag']
            done.append({'PartNumber': number, 'ETag': etag})
        self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload,
                                              MultipartUpload={'Parts': done})
        _expect(_read(self.client, self.bucket, key) == b''.join(parts), 'the completed upload reads back different')

    def multipart_abort(self):
        key = self.key('aborted.bin')
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)['UploadId']
        self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=1, Body=payload(1024, 'abort'))
        self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
        left = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key).get('Uploads') or []
        _expect(not [item for item in left if item.get('UploadId') == upload], 'the aborted upload is still listed')

    def presigned_get(self):
        body = payload(2048, 'presigned_get')
        self.client.put_object(Bucket=self.bucket, Key=self.key('presigned_get.bin'), Body=body)
        url = self.client.generate_presigned_url('get_object', ExpiresIn=300,
                                                 Params={'Bucket': self.bucket, 'Key': self.key('presigned_get.bin')})
        status, got = self.fetch('GET', url, None)
        _expect(status == 200 and got == body, 'GET of the presigned URL answered %s with %d bytes' % (status, len(got)))

    def presigned_put(self):
        body = payload(2048, 'presigned_put')
        url = self.client.generate_presigned_url('put_object', ExpiresIn=300,
                                                 Params={'Bucket': self.bucket, 'Key': self.key('presigned_put.bin')})
        status, dummy = self.fetch('PUT', url, body)
        _expect(status in (200, 201, 204), 'PUT to the presigned URL answered %s' % status)
        _expect(_read(self.client, self.bucket, self.key('presigned_put.bin')) == body, 'the object read back differs')

    def large_object(self):
        key = self.key('large.bin')
        parts, digest, upload = [], hashlib.sha256(), None
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)['UploadId']
        left, number = self.large_bytes, 0
        while left > 0:
            number += 1
            body = payload(min(left, 4 * PART), 'large%d' % number)
            digest.update(body)
            etag = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number,
                                           Body=body)['ETag']
            parts.append({'PartNumber': number, 'ETag': etag})
            left -= len(body)
        self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload,
                                              MultipartUpload={'Parts': parts})
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        _expect(head['ContentLength'] == self.large_bytes,
                'the object is %s bytes, %d were written' % (head['ContentLength'], self.large_bytes))
        back = hashlib.sha256()
        stream = self.client.get_object(Bucket=self.bucket, Key=key)['Body']
        for chunk in iter(lambda: stream.read(1024 * 1024), b''):
            back.update(chunk)
        _expect(back.hexdigest() == digest.hexdigest(), 'the object read back has another sha256')

    def delete(self):
        keys = [self.key('delete', '%d.txt' % number) for number in range(3)]
        for key in keys:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b'x')
        self.client.delete_object(Bucket=self.bucket, Key=keys[0])
        answer = self.client.delete_objects(Bucket=self.bucket, Delete={'Objects': [{'Key': key} for key in keys[1:]]})
        _expect(not answer.get('Errors'), 'the batch delete reported %s' % answer.get('Errors'))
        left = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.key('delete/')).get('Contents') or []
        _expect(not left, '%d objects are still there after deleting them' % len(left))


def probe(client, bucket, prefix, fetch, large_bytes, read_only=False, clock=time.monotonic):
    """Run every check (only those of READ_ONLY with read_only); {name: {ok, detail, seconds}}.
    A check that writes and is not run has ok None."""
    checks = Probe(client, bucket, prefix, fetch, large_bytes)
    found = {}
    for name, what in CHECKS:
        if name == 'large_object' and large_bytes <= 0:
            found[name] = {'ok': None, 'detail': 'not run (large_object_mb is 0)', 'seconds': 0.0}
            continue
        if read_only and name not in READ_ONLY:
            found[name] = {'ok': None, 'detail': 'not run in check mode (it writes)', 'seconds': 0.0}
            continue
        started = clock()
        try:
            if name in READ_ONLY:
                getattr(checks, name)(write=not read_only)
            else:
                getattr(checks, name)()
            found[name] = {'ok': True, 'detail': what, 'seconds': round(clock() - started, 3)}
        except Exception as exc:  # pylint: disable=broad-except
            # Whatever the endpoint did: the check failed, and the next one still runs.
            found[name] = {'ok': False, 'detail': '%s: %s' % (what, describe(exc)), 'seconds': round(clock() - started, 3)}
    return found


def cleanup(client, bucket, prefix):
    """Remove everything under prefix: unfinished uploads, then the objects. Returns what stayed (a message) or ''."""
    problems = []
    try:
        uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get('Uploads') or []
        for upload in uploads:
            client.abort_multipart_upload(Bucket=bucket, Key=upload['Key'], UploadId=upload['UploadId'])
    except Exception as exc:  # pylint: disable=broad-except
        problems.append('unfinished uploads: %s' % describe(exc))
    try:
        for dummy in range(10):
            keys = [item['Key'] for item in
                    client.list_objects_v2(Bucket=bucket, Prefix=prefix).get('Contents') or []]
            if not keys:
                break
            for key in keys:
                client.delete_object(Bucket=bucket, Key=key)
        else:
            problems.append('objects under %s are still there' % prefix)
    except Exception as exc:  # pylint: disable=broad-except
        problems.append('objects: %s' % describe(exc))
    return '; '.join(problems)


def missing(found, required):
    """The required checks that did not work (not run counts as not known, not as missing)."""
    return [name for name in required if found.get(name, {}).get('ok') is False]


def failure_message(endpoint, bucket, found, lacking):
    """The message of a probe that found something MLflow needs missing."""
    return ('The S3 endpoint %s (bucket %s) lacks what MLflow needs: %s.'
            % (endpoint, bucket, '; '.join('%s (%s)' % (name, found[name]['detail']) for name in lacking)))


def requirement_problems(required):
    unknown = [name for name in required if name not in NAMES]
    if unknown:
        return 'require must name checks of %s; got %s.' % (', '.join(NAMES), ', '.join(unknown))
    return ''
