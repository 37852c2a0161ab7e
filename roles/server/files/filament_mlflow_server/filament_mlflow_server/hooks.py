"""MLflow's two per-request hooks, run only for the requests they have work on.

MLflow's app runs every request through two ``@app.middleware("http")`` hooks: one binds the
request's workspace, the other times AI-gateway calls. Starlette runs such a hook as a
``BaseHTTPMiddleware``: the rest of the app in a task of its own, its answer passed back through a
memory stream, about a millisecond per hook and request on a small host. For a tracking call on a
server without workspaces the first hook only binds "no workspace", and the second passes every
path outside ``/gateway/`` straight on.

``lighten`` swaps both, before the app serves its first request, for plain ASGI wrappers that do
exactly that without the task and the stream, and hand every other request (workspaces on, a
workspace header sent, a gateway path) to MLflow's own hook, unchanged. A hook this does not know
(another MLflow version, other names) stays as it is.
"""

WORKSPACE_HOOK = "workspace_context_middleware"
GATEWAY_HOOK = "gateway_timing_middleware"
HOOKS_MODULE = "mlflow.server.fastapi_app"


class WorkspaceUnlessNeeded:
    """MLflow's workspace hook; where workspaces are off and the request names none, only what that
    hook then does: bind "no workspace" for the request, and clear it after."""

    def __init__(self, app, dispatch):
        from starlette.middleware.base import BaseHTTPMiddleware
        from mlflow.environment_variables import MLFLOW_ENABLE_WORKSPACES
        from mlflow.utils.workspace_context import clear_server_request_workspace, set_server_request_workspace
        from mlflow.utils.workspace_utils import WORKSPACE_HEADER_NAME

        self.app = app
        self.hook = BaseHTTPMiddleware(app, dispatch=dispatch)
        self._enabled = MLFLOW_ENABLE_WORKSPACES.get
        self._header = WORKSPACE_HEADER_NAME.lower().encode()
        self._bind = set_server_request_workspace
        self._clear = clear_server_request_workspace

    def _needs_hook(self, scope):
        # A workspace header on a server without workspaces is an error MLflow's hook answers.
        return self._enabled() or any(name == self._header and value.strip() for name, value in scope["headers"])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._needs_hook(scope):
            await self.hook(scope, receive, send)
            return
        self._bind(None)
        try:
            await self.app(scope, receive, send)
        finally:
            self._clear()


class GatewayTimingUnlessNeeded:
    """MLflow's gateway timing hook for the gateway's paths; every other request passes straight on."""

    def __init__(self, app, dispatch, prefix):
        from starlette.middleware.base import BaseHTTPMiddleware

        self.app = app
        self.hook = BaseHTTPMiddleware(app, dispatch=dispatch)
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.hook(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def gateway_prefix():
    """The gateway's path prefix, with the server's static prefix, as MLflow's hook works it out."""
    from mlflow.server.handlers import _add_static_prefix

    return _add_static_prefix("/gateway/")


def lighten(app, prefix=gateway_prefix):
    """Swap MLflow's two hooks in a FastAPI app that has not served yet; returns the names swapped.

    prefix: a callable giving the gateway's path prefix (MLflow's own by default)."""
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware

    if getattr(app, "middleware_stack", True) is not None:
        return []  # not a Starlette app, or its middleware is built already
    swapped = []
    for index, entry in enumerate(app.user_middleware):
        options = getattr(entry, "kwargs", None) or {}
        dispatch = options.get("dispatch") if entry.cls is BaseHTTPMiddleware else None
        if getattr(dispatch, "__module__", None) != HOOKS_MODULE or getattr(entry, "args", ()):
            continue
        name = getattr(dispatch, "__name__", "")
        if name == WORKSPACE_HOOK:
            app.user_middleware[index] = Middleware(WorkspaceUnlessNeeded, dispatch=dispatch)
        elif name == GATEWAY_HOOK:
            app.user_middleware[index] = Middleware(GatewayTimingUnlessNeeded, dispatch=dispatch, prefix=prefix())
        else:
            continue
        swapped.append(name)
    return swapped
