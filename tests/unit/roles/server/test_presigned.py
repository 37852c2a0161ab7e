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
