# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server role's streaming S3 artifact repository (files/filament_mlflow_server, s3_streaming)
against a real MinIO: what MLflow's upload endpoint hands it arrives in the bucket whole, with
MLflow's object metadata, and a body that breaks off leaves nothing behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pathlib
import re
import secrets
import sys

import pytest

SERVER_ROLE = pathlib.Path(__file__).resolve().parents[2] / 'roles' / 'server'
PYPROJECT = SERVER_ROLE / 'templates' / 'pyproject.toml.j2'


@pytest.fixture(scope='module')
def app_module():
    """The package as the role installs it (its top level is what the entry points name)."""
    package_root = str(SERVER_ROLE / 'files' / 'filament_mlflow_server')
    if package_root not in sys.path:
        sys.path.insert(0, package_root)
    import filament_mlflow_server

    return filament_mlflow_server


@pytest.fixture(scope='module')
def streaming(app_module):
    from filament_mlflow_server import s3_streaming

    return s3_streaming


@pytest.fixture
def bucket(minio, monkeypatch):
    name = 'stream-' + secrets.token_hex(4)
    minio.client().create_bucket(Bucket=name)
    monkeypatch.setenv('MLFLOW_S3_ENDPOINT_URL', minio.url)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', minio.access_key)
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', minio.secret_key)
    monkeypatch.setenv('AWS_DEFAULT_REGION', 'us-east-1')
    return name


async def chunked(data, size, fail_after=None):
    for offset in range(0, len(data), size):
        if fail_after is not None and offset >= fail_after:
            raise ConnectionResetError('client went away')
        await asyncio.sleep(0)
        yield data[offset:offset + size]


def test_the_entry_point_names_a_streaming_s3_repository(app_module):
    from mlflow.store.artifact.artifact_repo import StreamUploadMixin
    from mlflow.store.artifact.s3_artifact_repo import S3ArtifactRepository

    # What MLflow's artifact repository registry loads for s3:// (the package's entry point).
    text = PYPROJECT.read_text(encoding='utf-8')
    section = text.split('[project.entry-points."mlflow.artifact_repository"]', 1)[1].split('\n[', 1)[0]
    target = re.search(r'^s3\s*=\s*"filament_mlflow_server:(\w+)"', section, re.M)
    assert target, section
    cls = getattr(app_module, target.group(1))
    assert issubclass(cls, S3ArtifactRepository) and issubclass(cls, StreamUploadMixin)
    with pytest.raises(AttributeError):
        getattr(app_module, 'NoSuchThing')


@pytest.mark.parametrize('size_mb', [0, 1, 21])
def test_streamed_upload_arrives_whole(app_module, minio, bucket, size_mb):
    data = os.urandom(size_mb * 1024 * 1024 + 17)
    repo = app_module.StreamingS3ArtifactRepository('s3://%s/artifacts' % bucket)
    asyncio.run(repo.log_artifact_from_async_stream(chunked(data, 65536), 'model.json', artifact_path='7/run/sub'))

    s3 = minio.client()
    head = s3.head_object(Bucket=bucket, Key='artifacts/7/run/sub/model.json')
    assert head['ContentLength'] == len(data)
    assert head['ContentType'] == 'application/json'
    body = s3.get_object(Bucket=bucket, Key='artifacts/7/run/sub/model.json')['Body'].read()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
    # The file is the same through MLflow's own reading path.
    assert [f.path for f in repo.list_artifacts('7/run/sub')] == ['7/run/sub/model.json']


def test_many_small_chunks_beyond_the_queue(app_module, streaming, minio, bucket):
    # Far more chunks than the queue holds: the event loop waits for room and is woken.
    data = os.urandom(streaming.QUEUE_CHUNKS * 4 * 1024 + 3)
    repo = app_module.StreamingS3ArtifactRepository('s3://%s' % bucket)
    asyncio.run(repo.log_artifact_from_async_stream(chunked(data, 1024), 'x.bin'))
    body = minio.client().get_object(Bucket=bucket, Key='x.bin')['Body'].read()
    assert body == data


def test_sync_stream_upload(app_module, minio, bucket, tmp_path):
    data = os.urandom(9 * 1024 * 1024)
    (tmp_path / 'f').write_bytes(data)
    repo = app_module.StreamingS3ArtifactRepository('s3://%s/a' % bucket)
    with open(tmp_path / 'f', 'rb') as stream:
        repo.log_artifact_from_stream(stream, 'f.tar.gz', artifact_path='d')
    head = minio.client().head_object(Bucket=bucket, Key='a/d/f.tar.gz')
    assert head['ContentLength'] == len(data)
    assert head['ContentType'] == 'application/x-tar' and head.get('ContentEncoding') == 'gzip'


def test_a_body_that_breaks_off_leaves_nothing(app_module, minio, bucket):
    data = os.urandom(20 * 1024 * 1024)
    repo = app_module.StreamingS3ArtifactRepository('s3://%s' % bucket)
    with pytest.raises(ConnectionResetError):
        asyncio.run(repo.log_artifact_from_async_stream(chunked(data, 65536, fail_after=12 * 1024 * 1024), 'big.bin'))
    s3 = minio.client()
    assert s3.list_objects_v2(Bucket=bucket).get('KeyCount', 0) == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get('Uploads', []) == []


def test_a_failing_bucket_fails_the_upload(app_module, minio, bucket):
    data = os.urandom(10 * 1024 * 1024)
    repo = app_module.StreamingS3ArtifactRepository('s3://no-such-bucket-%s' % secrets.token_hex(3))
    with pytest.raises(Exception) as failure:
        asyncio.run(repo.log_artifact_from_async_stream(chunked(data, 65536), 'x.bin'))
    assert 'NoSuchBucket' in str(failure.value) or 'does not exist' in str(failure.value)


def test_parts_to_a_bucket_on_this_host_go_unsigned_with_their_crc32(app_module, minio, bucket):
    data = os.urandom(17 * 1024 * 1024)
    repo = app_module.StreamingS3ArtifactRepository('s3://%s' % bucket)
    client = repo._get_s3_client()  # pylint: disable=protected-access  # the one the upload uses (cached)
    sent = []
    client.meta.events.register('before-send.s3.UploadPart', lambda request, **kw: sent.append(dict(request.headers)),
                                unique_id='test-record-parts')
    try:
        asyncio.run(repo.log_artifact_from_async_stream(chunked(data, 65536), 'w.bin'))
    finally:
        client.meta.events.unregister('before-send.s3.UploadPart', unique_id='test-record-parts')
    assert len(sent) == 3  # 8 + 8 + 1 MiB
    for headers in sent:
        lowered = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()}
        assert lowered['x-amz-content-sha256'].startswith(('UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD'))
    head = minio.client().head_object(Bucket=bucket, Key='w.bin', ChecksumMode='ENABLED')
    assert head.get('ChecksumCRC32'), head  # the bucket received and checked a CRC32 for the parts
    body = minio.client().get_object(Bucket=bucket, Key='w.bin')['Body'].read()
    assert body == data
