"""Presigned URLs of the store on loopback, handed out on the site's address under the prefix."""

import pytest

from filament_mlflow_server import presigned

SIGNED = 'http://127.0.0.1:9000/mlflow/1/abc/artifacts/model%20a.bin?uploadId=u1&partNumber=2&X-Amz-Signature=f00'


def test_a_url_of_the_store_moves_to_the_site_address_with_its_path_and_signature():
    assert presigned.on_site_address(SIGNED, 'http://127.0.0.1:9000', 'mlflow.example.org', '/_store') == (
        'https://mlflow.example.org/_store/mlflow/1/abc/artifacts/model%20a.bin?uploadId=u1&partNumber=2&X-Amz-Signature=f00')
    # The port the client used is kept.
    assert presigned.on_site_address(SIGNED, 'http://127.0.0.1:9000', 'localhost:8443', '/_store').startswith(
        'https://localhost:8443/_store/mlflow/')


@pytest.mark.parametrize('url, endpoint, host, prefix', [
    # Another endpoint than the store's, or the bucket in the host name (virtual-host style).
    (SIGNED, 'http://127.0.0.1:9001', 'site', '/_store'),
    ('http://mlflow.127.0.0.1:9000/1/abc?X-Amz-Signature=f00', 'http://127.0.0.1:9000', 'site', '/_store'),
    # An endpoint with a path of its own.
    (SIGNED, 'http://127.0.0.1:9000/s3', 'site', '/_store'),
    # No site address (outside a request), or no prefix.
    (SIGNED, 'http://127.0.0.1:9000', '', '/_store'),
    (SIGNED, 'http://127.0.0.1:9000', 'site', ''),
])
def test_urls_that_cannot_move_are_refused(url, endpoint, host, prefix):
    with pytest.raises(presigned.NotOnSiteAddress):
        presigned.on_site_address(url, endpoint, host, prefix)


def test_the_prefix_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(presigned.PREFIX_ENV, raising=False)
    assert presigned.prefix() == ''
    monkeypatch.setenv(presigned.PREFIX_ENV, '/_store/')
    assert presigned.prefix() == '/_store'


DOWNLOAD = ('http://127.0.0.1:9000/mlflow/1/abc/artifacts/model%20a/%C3%BCber.bin?response-content-type=application%2Foctet-stream'
            '&response-content-disposition=attachment%3B%20filename%3D%22%C3%BCber.bin%22&X-Amz-Algorithm=AWS4-HMAC-SHA256'
            '&X-Amz-Credential=mlflow%2F20261204%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261204T222024Z&X-Amz-Expires=60'
            '&X-Amz-SignedHeaders=host&X-Amz-Signature=c196')


def test_a_download_is_named_to_the_proxy_by_its_decoded_path_and_each_signed_parameter():
    headers = dict(presigned.store_request(DOWNLOAD, 'http://127.0.0.1:9000'))
    assert headers == {
        'X-Filament-Store': '/mlflow/1/abc/artifacts/model a/über.bin',
        'X-Filament-Store-response-content-type': 'application/octet-stream',
        'X-Filament-Store-response-content-disposition': 'attachment; filename="über.bin"',
        'X-Filament-Store-X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Filament-Store-X-Amz-Credential': 'mlflow/20261204/us-east-1/s3/aws4_request',
        'X-Filament-Store-X-Amz-Date': '20261204T222024Z',
        'X-Filament-Store-X-Amz-Expires': '60',
        'X-Filament-Store-X-Amz-SignedHeaders': 'host',
        'X-Filament-Store-X-Amz-Signature': 'c196',
    }


@pytest.mark.parametrize('url', [
    # Names the proxy would not take literally.
    DOWNLOAD.replace('model%20a', 'model%25a'),
    DOWNLOAD.replace('model%20a', 'model%3Fa'),
    DOWNLOAD.replace('model%20a', 'model%23a'),
    DOWNLOAD.replace('model%20a', 'model%0Aa'),
    DOWNLOAD.replace('%C3%BCber.bin?', '%C3%BCber.bin%20?'),
    # A query of other parameters than the proxy puts back together: one more, one fewer.
    DOWNLOAD + '&X-Amz-Security-Token=t',
    DOWNLOAD.replace('response-content-type=application%2Foctet-stream&', ''),
    # A header signed beside the Host, which the proxy would not send.
    DOWNLOAD.replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=host%3Bx-amz-expected-bucket-owner'),
    # Another endpoint.
    DOWNLOAD.replace(':9000', ':9001'),
])
def test_downloads_the_proxy_could_not_request_exactly_are_refused(url):
    with pytest.raises(presigned.NotOnSiteAddress):
        presigned.store_request(url, 'http://127.0.0.1:9000')


def test_the_caddy_role_puts_back_the_same_parameters():
    import pathlib

    import yaml

    caddy_vars = pathlib.Path(__file__).resolve().parents[4] / 'roles' / 'caddy' / 'vars' / 'main.yml'
    assert yaml.safe_load(caddy_vars.read_text())['__caddy_store_download_query'] == list(presigned.DOWNLOAD_QUERY)


def asgi_get(app, path, method='GET'):
    """The ASGI messages app sends for one request (no body)."""
    import asyncio

    sent = []

    async def receive():
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    async def send(message):
        sent.append(message)

    scope = {'type': 'http', 'method': method, 'path': path, 'headers': [(b'host', b'mlflow.example.org')], 'query_string': b''}
    asyncio.run(app(scope, receive, send))
    return sent


class Inner:
    """The app behind the middleware: answers 299 and records the paths it saw."""

    def __init__(self):
        self.paths = []

    async def __call__(self, scope, receive, send):
        self.paths.append(scope['path'])
        await send({'type': 'http.response.start', 'status': 299, 'headers': []})
        await send({'type': 'http.response.body', 'body': b''})


def test_a_download_found_in_the_store_is_answered_with_the_redirect_and_the_proxys_request(monkeypatch):
    asked = []

    def handed(path, host):
        asked.append((path, host))
        return 'https://mlflow.example.org/_store/mlflow/1/x.bin?sig', [('X-Filament-Store', '/mlflow/1/x.bin')]

    monkeypatch.setattr(presigned, 'handed_to_proxy', handed)
    inner = Inner()
    sent = asgi_get(presigned.DownloadsThroughProxy(inner), '/api/2.0/mlflow-artifacts/artifacts/1/x.bin')
    assert asked == [('1/x.bin', 'mlflow.example.org')] and inner.paths == []
    assert sent[0]['status'] == 307
    assert dict(sent[0]['headers']) == {b'location': b'https://mlflow.example.org/_store/mlflow/1/x.bin?sig', b'cache-control': b'no-store',
                                        b'content-length': b'0', b'x-filament-store': b'/mlflow/1/x.bin'}


@pytest.mark.parametrize('method, path', [
    ('GET', '/api/2.0/mlflow-artifacts/artifacts/1/not-in-the-store'),  # handed_to_proxy says no
    ('HEAD', '/api/2.0/mlflow-artifacts/artifacts/1/x.bin'),
    ('PUT', '/api/2.0/mlflow-artifacts/artifacts/1/x.bin'),
    ('GET', '/api/2.0/mlflow-artifacts/artifacts'),  # the listing
    ('GET', '/api/2.0/mlflow/runs/get'),
])
def test_every_other_request_goes_on_to_mlflow(monkeypatch, method, path):
    monkeypatch.setattr(presigned, 'handed_to_proxy', lambda path, host: None if 'not-in' in path else ('u', []))
    inner = Inner()
    sent = asgi_get(presigned.DownloadsThroughProxy(inner), path, method)
    assert inner.paths == [path] and sent[0]['status'] == 299


def test_the_middleware_goes_innermost_only_where_presigned_transfers_are_on_and_before_the_first_request(monkeypatch):
    from starlette.applications import Starlette

    monkeypatch.delenv(presigned.PREFIX_ENV, raising=False)
    app = Starlette()
    assert not presigned.hand_downloads_to_proxy(app) and app.user_middleware == []
    monkeypatch.setenv(presigned.PREFIX_ENV, '/_store')
    assert presigned.hand_downloads_to_proxy(app)
    assert app.user_middleware[-1].cls is presigned.DownloadsThroughProxy
    app.middleware_stack = app.build_middleware_stack()
    assert not presigned.hand_downloads_to_proxy(app) and len(app.user_middleware) == 1
