"""The role's app: MLflow's answers pass unchanged, except server-info's presigned capabilities."""

import asyncio
import json

from filament_mlflow_server import server_info

INFO = {'store_type': 'SqlStore', 'multipart_uploads_enabled': True, 'multipart_downloads_enabled': True}


def test_capabilities_switched_off_others_kept():
    body = server_info.without_presigned_capabilities(json.dumps(INFO).encode())
    assert json.loads(body) == {**INFO, 'multipart_uploads_enabled': False, 'multipart_downloads_enabled': False}


def test_other_bodies_as_they_are():
    assert server_info.without_presigned_capabilities(b'not json') == b'not json'
    assert server_info.without_presigned_capabilities(b'[1, 2]') == b'[1, 2]'


def inner_app(status=200, body=json.dumps(INFO).encode()):
    """An ASGI app that answers like MLflow's: headers with a content-length, then the body in two parts."""
    async def app(scope, receive, send):
        await send({'type': 'http.response.start', 'status': status,
                    'headers': [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode())]})
        await send({'type': 'http.response.body', 'body': body[:10], 'more_body': True})
        await send({'type': 'http.response.body', 'body': body[10:]})
    return app


def call(app, path):
    sent = []

    async def receive():
        return {'type': 'http.request', 'body': b''}

    async def send(message):
        sent.append(message)

    asyncio.run(app({'type': 'http', 'path': path}, receive, send))
    start = sent[0]
    body = b''.join(m.get('body', b'') for m in sent[1:])
    return start, body


def test_server_info_rewritten_with_its_length():
    start, body = call(server_info.ProxiedArtifactsOnly(inner_app()), '/api/3.0/mlflow/server-info')
    assert json.loads(body)['multipart_uploads_enabled'] is False
    assert json.loads(body)['multipart_downloads_enabled'] is False
    headers = dict(start['headers'])
    assert headers[b'content-length'] == str(len(body)).encode()
    assert headers[b'content-type'] == b'application/json'


def test_other_paths_and_errors_pass_unchanged():
    original = json.dumps(INFO).encode()
    start, body = call(server_info.ProxiedArtifactsOnly(inner_app()), '/api/2.0/mlflow/experiments/search')
    assert body == original
    start, body = call(server_info.ProxiedArtifactsOnly(inner_app(status=500)), '/api/3.0/mlflow/server-info')
    assert start['status'] == 500 and body == original


def test_through_the_proxy_only_downloads_are_switched_off(monkeypatch):
    monkeypatch.setenv('FILAMENT_PRESIGNED_PREFIX', '/_store')
    start, body = call(server_info.ProxiedArtifactsOnly(inner_app()), '/api/3.0/mlflow/server-info')
    assert json.loads(body) == {**INFO, 'multipart_downloads_enabled': False}
    assert dict(start['headers'])[b'content-length'] == str(len(body)).encode()
