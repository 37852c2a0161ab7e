"""The pieces of the streaming S3 upload that need no bucket (the upload itself: tests/integration)."""

import queue

import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from filament_mlflow_server import s3_streaming


def reader_of(*chunks):
    pending = queue.Queue()
    for chunk in chunks:
        pending.put(chunk)
    taken = []
    return s3_streaming.QueueReader(pending, lambda: taken.append(1)), taken


def test_reads_sized_parts_across_chunks():
    reader, taken = reader_of(b'abc', b'defg', b'h', s3_streaming._END)
    assert reader.read(2) == b'ab'
    assert reader.read(4) == b'cdef'
    assert reader.read(10) == b'gh'
    assert reader.read(10) == b''
    assert len(taken) == 4


def test_reads_the_rest_at_once():
    reader, dummy = reader_of(b'abc', b'def', s3_streaming._END)
    assert reader.read() == b'abcdef'
    assert reader.readable()


def test_a_broken_body_raises_in_the_reader():
    reader, dummy = reader_of(b'abc', ConnectionResetError('client went away'))
    with pytest.raises(ConnectionResetError):
        reader.read(10)


@pytest.mark.parametrize('url, expected', [
    ('http://127.0.0.1:9000', True), ('http://localhost:9000', True), ('http://[::1]:9000', True),
    ('http://127.8.9.10', True), ('http://10.0.0.5:9000', False), ('https://s3.example.org', False), ('', False),
])
def test_on_loopback(url, expected):
    assert s3_streaming.on_loopback(url) is expected


def test_unsigned_payload_keeps_the_other_s3_settings():
    request = AWSRequest(method='PUT', url='http://127.0.0.1:9000/b/k')
    request.context['client_config'] = Config(s3={'addressing_style': 'path'})
    s3_streaming.unsigned_payload(request)
    assert request.context['client_config'].s3 == {'addressing_style': 'path', 'payload_signing_enabled': False}


def test_unsigned_payload_without_a_config():
    request = AWSRequest(method='PUT', url='http://127.0.0.1:9000/b/k')
    s3_streaming.unsigned_payload(request)
    assert 'client_config' not in request.context
