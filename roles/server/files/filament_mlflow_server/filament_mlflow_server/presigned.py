"""Presigned transfers through the site's own address.

MLflow's stock client moves a large artifact in parallel parts over presigned URLs when the server
offers it: the parts go straight to the bucket, not through the server's Python. The bucket here
sits on loopback behind the server, so a URL that names it is of no use to a client. With
FILAMENT_PRESIGNED_PREFIX set (the role sets it where the proxy runs on the store's host), the
server hands out the same URLs with the site's address in their place: the scheme https, the
host the client asked the server by (its Host header, which the proxy passes on and MLflow checks
against --allowed-hosts), and the prefix before the bucket's path. The proxy passes only requests
under that prefix that carry a presigned signature to the store, with the Host the URL was signed
for, so the signature still holds and nothing else of the store is reachable.

Downloads go the same way without the client knowing: for a GET of an artifact that is one object
in the store, the server answers with a redirect to the presigned URL on the site's address and,
in headers, the request the proxy makes of the store for it. The proxy (Caddy's
handle_response) makes that request itself and hands the store's answer to the client, so the
client gets the artifact in its one request, with no byte through the server's Python and nothing
written to the server's disk (MLflow's own route first copies the whole artifact to a temporary
file). A client that reaches the server some other way can follow the redirect. Everything else
(HEAD, directories, missing artifacts, names the proxy would not take literally) is MLflow's own
route's to answer.
"""

import os
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

PREFIX_ENV = "FILAMENT_PRESIGNED_PREFIX"
# The proxy's request of the store for a download, in headers of the server's answer: the path in
# STORE_HEADER, decoded, and each parameter of the signed query, decoded, in STORE_HEADER-<name>.
# The proxy takes the path as it is and puts the query back together from DOWNLOAD_QUERY's names,
# encoding each value (the caddy role lists the same names: __caddy_store_download_query).
STORE_HEADER = "X-Filament-Store"
DOWNLOAD_QUERY = ("response-content-type", "response-content-disposition", "X-Amz-Algorithm", "X-Amz-Credential",
                  "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")
# A URL signed for the proxy's request of a download: made and used within the same second.
DOWNLOAD_EXPIRY = 60


def prefix():
    """The path prefix presigned URLs get on the site's address; empty when presigned transfers are off."""
    return os.environ.get(PREFIX_ENV, "").rstrip("/")


class NotOnSiteAddress(Exception):
    """A presigned URL that cannot be moved to the site's address."""


def _signed_by_path(url, endpoint_url):
    """url split, if it is a path-style URL of the store at endpoint_url (its path the bucket and the
    key, which the signature covers and the proxy gives back unchanged)."""
    signed, endpoint = urlsplit(url), urlsplit(endpoint_url)
    if (signed.scheme, signed.netloc) != (endpoint.scheme, endpoint.netloc) or endpoint.path.strip("/"):
        raise NotOnSiteAddress("the URL does not name the store's endpoint by path")
    return signed


def on_site_address(url, endpoint_url, host, path_prefix):
    """url, presigned for the store at endpoint_url, as the client reaches it: https://host/<prefix>/<path>?<query>."""
    if not host or not path_prefix.startswith("/"):
        raise NotOnSiteAddress("no site address or prefix to move the URL to")
    signed = _signed_by_path(url, endpoint_url)
    return urlunsplit(("https", host, path_prefix + signed.path, signed.query, ""))


def store_request(url, endpoint_url):
    """The headers that name the proxy's request of the store for url, a GET presigned for the store
    at endpoint_url (see STORE_HEADER). Refused where the proxy could not make the very request
    signed: a query of other parameters than DOWNLOAD_QUERY, a header signed beside the Host, or
    an object's name the proxy might read otherwise ('%', '?', '#', control characters, white
    space at its end, which a header value loses); such a download stays with MLflow's route."""
    signed = _signed_by_path(url, endpoint_url)
    path = unquote(signed.path)
    if any(c in "%?#\x7f" or c < " " for c in path) or path != path.rstrip():
        raise NotOnSiteAddress("the object's name is not one the proxy takes literally")
    query = parse_qsl(signed.query, keep_blank_values=True)
    if sorted(pair[0] for pair in query) != sorted(DOWNLOAD_QUERY):
        raise NotOnSiteAddress(f"the signed query is not {'&'.join(DOWNLOAD_QUERY)}")
    if dict(query)["X-Amz-SignedHeaders"] != "host":
        # A header signed beside the Host (a bucket owner's, say) that the proxy would not send.
        raise NotOnSiteAddress("the URL signs other headers than the Host")
    return [(STORE_HEADER, path)] + [(f"{STORE_HEADER}-{name}", value) for name, value in query]


DOWNLOAD_PATHS = ("/api/2.0/mlflow-artifacts/artifacts/", "/ajax-api/2.0/mlflow-artifacts/artifacts/")


def handed_to_proxy(artifact_path, host):
    """(the URL on the site's address, the store's request) of a download of artifact_path, or None
    where MLflow's own route is to answer it (proxied artifacts off, a path MLflow refuses, a store
    that cannot presign, a directory or a missing artifact, the store unreachable)."""
    from mlflow.server import artifact_router
    from mlflow.utils.uri import validate_path_is_safe

    try:
        if not artifact_router._is_serving_proxied_artifacts():
            return None
        path = artifact_router._get_workspace_scoped_path(validate_path_is_safe(artifact_path))
        presign = getattr(artifact_router._get_artifact_repo(), "presigned_download", None)
        return presign(path, host) if presign is not None else None
    except Exception:  # MLflow's route answers it, in its own words
        return None


class DownloadsThroughProxy:
    """ASGI: a GET of MLflow's download route answered with the redirect the proxy follows itself,
    where handed_to_proxy finds the artifact; every other request goes on to MLflow's routes.
    Innermost of the app's middleware, so MLflow's permission checks and workspace binding have
    run before it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        import asyncio

        path = scope["path"] if scope["type"] == "http" and scope["method"] == "GET" else ""
        artifact_path = next((path[len(p):] for p in DOWNLOAD_PATHS if path.startswith(p)), "")
        found = None
        if artifact_path:
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            found = await asyncio.to_thread(handed_to_proxy, artifact_path, host)
        if found is None:
            await self.app(scope, receive, send)
            return
        site_url, store = found
        headers = [(b"location", site_url.encode()), (b"cache-control", b"no-store"), (b"content-length", b"0")]
        headers += [(name.lower().encode(), value.encode()) for name, value in store]
        await send({"type": "http.response.start", "status": 307, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def hand_downloads_to_proxy(app):
    """Add DownloadsThroughProxy to a FastAPI app that has not served yet, where presigned transfers
    are on; returns whether it did."""
    from starlette.middleware import Middleware

    if not prefix() or getattr(app, "middleware_stack", True) is not None:
        return False
    app.user_middleware.append(Middleware(DownloadsThroughProxy))
    return True
