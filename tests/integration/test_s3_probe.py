# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.s3_probe against a real MinIO, a real SeaweedFS (each as its role runs it), and a
MinIO behind a gateway that refuses multipart uploads and ListObjects v1, the way a store that lacks a
feature answers."""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse

import pytest

from conftest import free_port  # pylint: disable=import-error

ALL = ['put_get', 'list_v2_delimiter', 'list_v1_delimiter', 'multipart', 'multipart_abort', 'presigned_get',
       'presigned_put', 'large_object', 'delete']


def probe_vars(url, bucket, key, secret, **extra):
    values = dict(probe_endpoint_url=url, probe_bucket=bucket, probe_access_key=key, probe_secret_key=secret,
                  probe_large_object_mb=8)
    values.update(extra)
    return values


def left_under(client, bucket, prefix):
    objects = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get('Contents') or []
    uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get('Uploads') or []
    return [item['Key'] for item in objects] + [item['Key'] for item in uploads]


def test_minio_does_everything_mlflow_needs_and_nothing_is_left(minio, playbook, unique_name):
    bucket = unique_name('probe')
    minio.client().create_bucket(Bucket=bucket)
    run = playbook('s3_probe.yml', probe_vars(minio.url, bucket, minio.access_key, minio.secret_key))
    assert run.rc == 0, run.output
    result = run.result
    assert result['changed'] is False and result['missing'] == [] and result['cleanup'] == ''
    assert sorted(result['checks']) == sorted(ALL) and all(check['ok'] for check in result['checks'].values())
    assert left_under(minio.client(), bucket, '.filament-probe/') == []
    assert minio.secret_key not in run.output


def test_seaweedfs_does_everything_mlflow_needs_with_mlflows_own_key(seaweedfs, playbook):
    run = playbook('s3_probe.yml', probe_vars(seaweedfs.url, seaweedfs.bucket, seaweedfs.mlflow_key,
                                              seaweedfs.mlflow_secret))
    assert run.rc == 0, run.output
    assert run.result['missing'] == [] and run.result['cleanup'] == '', run.result
    assert all(check['ok'] for check in run.result['checks'].values()), run.result['checks']
    assert left_under(seaweedfs.client(), seaweedfs.bucket, '.filament-probe/') == []
    assert seaweedfs.mlflow_secret not in run.output


def test_check_mode_writes_nothing(minio, playbook, unique_name):
    bucket = unique_name('probe')
    minio.client().create_bucket(Bucket=bucket)
    run = playbook('s3_probe.yml', probe_vars(minio.url, bucket, minio.access_key, minio.secret_key), check=True)
    assert run.rc == 0, run.output
    ran = {name for name, check in run.result['checks'].items() if check['ok'] is not None}
    assert ran == {'list_v2_delimiter', 'list_v1_delimiter'}
    assert minio.client().list_objects_v2(Bucket=bucket).get('KeyCount', 0) == 0


def test_a_missing_bucket_is_named(minio, playbook, unique_name):
    run = playbook('s3_probe.yml', probe_vars(minio.url, unique_name('nothere'), minio.access_key, minio.secret_key))
    assert run.rc != 0
    assert 'does not exist on %s; the probe needs it' % minio.url in run.result['msg']


class Lacking(http.server.BaseHTTPRequestHandler):
    """Forwards to MinIO, but answers multipart uploads and ListObjects v1 as a store without them."""
    upstream = None

    def log_message(self, *args):  # quiet
        pass

    def _refuse(self):
        body = b'<?xml version="1.0"?><Error><Code>NotImplemented</Code><Message>not here</Message></Error>'
        self.send_response(501)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        listing_v1 = self.command == 'GET' and 'delimiter' in query and 'list-type' not in query
        if 'uploads' in query or 'uploadId' in query or listing_v1:
            length = int(self.headers.get('Content-Length') or 0)
            if length:
                self.rfile.read(length)
            self._refuse()
            return
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        # The Host header goes on unchanged: it is part of the request's signature.
        connection.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        answer = connection.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward


@pytest.fixture
def lacking_store(minio):
    parts = urllib.parse.urlsplit(minio.url)
    handler = type('Handler', (Lacking,), {'upstream': (parts.hostname, parts.port)})
    server = http.server.ThreadingHTTPServer(('127.0.0.1', free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_store_that_lacks_multipart_and_v1_listing_is_refused_by_name(minio, lacking_store, playbook, unique_name):
    bucket = unique_name('probe')
    minio.client().create_bucket(Bucket=bucket)
    run = playbook('s3_probe.yml', probe_vars(lacking_store, bucket, minio.access_key, minio.secret_key))
    assert run.rc != 0
    result = run.result
    assert result['missing'] == ['list_v1_delimiter', 'multipart', 'multipart_abort', 'large_object'], result
    assert result['msg'].startswith('The S3 endpoint %s (bucket %s) lacks what MLflow needs: list_v1_delimiter ('
                                    % (lacking_store, bucket))
    assert 'NotImplemented (HTTP 501)' in result['msg']
    assert all(result['checks'][name]['ok'] for name in ('put_get', 'list_v2_delimiter', 'presigned_get',
                                                         'presigned_put', 'delete'))
    # What it wrote is gone all the same.
    assert left_under(minio.client(), bucket, '.filament-probe/') == []

    # Told what it may do without, the same store passes.
    run = playbook('s3_probe.yml', probe_vars(lacking_store, bucket, minio.access_key, minio.secret_key,
                                              probe_require=['put_get', 'list_v2_delimiter', 'delete']))
    assert run.rc == 0, run.output
    assert run.result['missing'] == []
