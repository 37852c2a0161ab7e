"""The UI's files for signed-in users only (server_auth: mlflow).

MLflow's basic-auth app checks every API, artifact and page request, but leaves its UI's static
files (``/static-files/...``, ``/favicon.ico``) open to anyone. This wrapper asks the same
credentials for them: a request without an account, or with a wrong password, gets 401 like any
other path. A browser that signed in for the page sends its credentials for these files too.

A password check costs a PBKDF2 hash (tens of milliseconds), and a page loads a few dozen files, so
a worker remembers a successful check for a minute (never a failed one); a changed or removed
account is refused here at most that long after MLflow refuses it everywhere else.
"""

import asyncio
import base64
import hashlib
import time

GATED_PREFIXES = ("/static", "/favicon.ico")
REMEMBER_S = 60.0
REMEMBER_MAX = 1024


def credentials(headers):
    """(user, password) of a Basic Authorization header among ASGI headers, or None."""
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, dummy, encoded = value.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return (user, password) if sep else None
    return None


def _mlflow_check(user, password):
    from mlflow.server.auth import store

    return bool(store.authenticate_user(user, password))


class SignedInStaticFiles:
    """ASGI wrapper: the gated paths answer 401 unless the request carries a valid account."""

    def __init__(self, inner, check=_mlflow_check, clock=time.monotonic):
        self._app = inner
        self._check = check
        self._clock = clock
        self._remembered = {}

    def _key(self, user, password):
        return hashlib.sha256(("%s\0%s" % (user, password)).encode("utf-8")).hexdigest()

    async def allowed(self, found):
        if found is None:
            return False
        key, now = self._key(*found), self._clock()
        if self._remembered.get(key, 0.0) > now:
            return True
        ok = await asyncio.get_running_loop().run_in_executor(None, self._check, *found)
        if ok:
            if len(self._remembered) >= REMEMBER_MAX:
                self._remembered.clear()
            self._remembered[key] = now + REMEMBER_S
        return ok

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(GATED_PREFIXES):
            if not await self.allowed(credentials(scope.get("headers") or [])):
                body = b"You are not authenticated."
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"www-authenticate", b'Basic realm="mlflow"'),
                                        (b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self._app(scope, receive, send)
