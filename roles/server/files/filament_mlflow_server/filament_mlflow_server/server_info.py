"""Proxied artifacts only: MLflow's app with the presigned transfer capabilities switched off.

With proxied artifacts the bucket sits behind the server (MinIO on loopback, a private
endpoint): clients reach only the server. MLflow (3.17 and later) still tells clients in its
server-info answer that they may upload and download large artifacts straight to and from the
bucket with presigned URLs, which then point at an address they cannot reach. This app hands
every request to MLflow's own app unchanged and only switches those two capabilities off in
the server-info answer, so artifacts keep flowing through the server. Where the proxy passes
presigned requests on to the store (presigned.py), only the download capability is switched off:
large uploads go in parallel parts through the proxy to the store, while a download stays one
request, which the proxy answers from the store (presigned.py); for the stock client that is the
faster way (it reads each presigned range whole, in small pieces: 107-170 MB/s for 1 GB on the lab
host, against 235 MB/s for one request streamed through the server).
"""

import json

from filament_mlflow_server.presigned import prefix as presigned_prefix

PRESIGNED_CAPABILITIES = ("multipart_uploads_enabled", "multipart_downloads_enabled")
DOWNLOAD_CAPABILITIES = ("multipart_downloads_enabled",)
SERVER_INFO_SUFFIX = "/mlflow/server-info"


def without_presigned_capabilities(body, names=PRESIGNED_CAPABILITIES):
    """The server-info JSON body with the named presigned transfer capabilities off (other bodies as they are)."""
    try:
        info = json.loads(body)
    except ValueError:
        return body
    if not isinstance(info, dict):
        return body
    for name in names:
        if name in info:
            info[name] = False
    return json.dumps(info, separators=(",", ":")).encode()


class ProxiedArtifactsOnly:
    """ASGI wrapper around MLflow's app; MLflow is imported on first use (in the worker)."""

    def __init__(self, inner=None):
        # inner: the app to wrap; MLflow's own by default, imported in the worker on first request.
        self._app = inner

    def _mlflow_app(self):
        if self._app is None:
            from mlflow.server.fastapi_app import app

            from filament_mlflow_server.hooks import lighten
            from filament_mlflow_server.presigned import hand_downloads_to_proxy

            lighten(app)
            hand_downloads_to_proxy(app)
            self._app = app
        return self._app

    async def __call__(self, scope, receive, send):
        app = self._mlflow_app()
        if scope["type"] != "http" or not scope["path"].endswith(SERVER_INFO_SUFFIX):
            await app(scope, receive, send)
            return

        start = {}
        chunks = []

        async def rewrite(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if start.get("status") == 200:
                body = without_presigned_capabilities(body, DOWNLOAD_CAPABILITIES if presigned_prefix() else PRESIGNED_CAPABILITIES)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, rewrite)
