"""MLflow's two per-request hooks run only where they have work; every other request gets what the
hook would have given it (the workspace bound as none, then cleared) without the hook's task."""

import asyncio
import collections

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.middleware.base import BaseHTTPMiddleware

from filament_mlflow_server import hooks
from mlflow.utils import workspace_context

GATEWAY = '/gateway/'
Answer = collections.namedtuple('Answer', 'status headers body')


def mlflow_like_app(called):
    """A FastAPI app with hooks named, and from the module, as MLflow's; each notes when it runs.
    The endpoint answers whether the request's workspace was bound, and to what."""
    app = FastAPI()

    async def workspace_context_middleware(request: Request, call_next):
        called.append('workspace')
        if request.headers.get('x-mlflow-workspace'):
            return PlainTextResponse('workspaces are off', status_code=501)
        return await call_next(request)

    async def gateway_timing_middleware(request: Request, call_next):
        called.append('gateway')
        response = await call_next(request)
        response.headers['x-timed'] = '1'
        return response

    for hook in (workspace_context_middleware, gateway_timing_middleware):
        hook.__module__ = hooks.HOOKS_MODULE
        app.middleware('http')(hook)

    @app.api_route('/{path:path}', methods=['GET', 'POST'])
    async def answer(path: str):
        resolved = workspace_context._IS_WORKSPACE_RESOLVED.get()
        return PlainTextResponse(f'{path} resolved={resolved} workspace={workspace_context._WORKSPACE.get()}')

    return app


def call(app, path, headers=()):
    sent = []

    async def receive():
        return {'type': 'http.request', 'body': b''}

    async def send(message):
        sent.append(message)

    scope = {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': 'GET', 'scheme': 'http',
             'path': path, 'raw_path': path.encode(), 'root_path': '', 'query_string': b'',
             'headers': [(b'host', b'localhost')] + list(headers), 'client': ('127.0.0.1', 1), 'server': ('127.0.0.1', 5000)}
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return Answer(start['status'], dict(start['headers']), b''.join(m.get('body', b'') for m in sent[1:]).decode())


@pytest.fixture
def light():
    called = []
    app = mlflow_like_app(called)
    assert sorted(hooks.lighten(app, prefix=lambda: GATEWAY)) == [hooks.GATEWAY_HOOK, hooks.WORKSPACE_HOOK]
    return app, called


def test_a_tracking_call_runs_no_hook_and_has_its_workspace_bound_as_none(light):
    app, called = light
    after = []

    async def then_look(scope, receive, send):
        # In the request's own task: the binding is cleared once the app is done, as MLflow's hook does.
        await app(scope, receive, send)
        after.append(workspace_context._IS_WORKSPACE_RESOLVED.get())

    answer = call(then_look, '/api/2.0/mlflow/runs/log-metric')
    assert answer.status == 200
    assert answer.body == 'api/2.0/mlflow/runs/log-metric resolved=True workspace=None'
    assert not called
    assert after == [False]


def test_a_workspace_header_goes_to_mlflows_hook(light):
    app, called = light
    answer = call(app, '/api/2.0/mlflow/runs/log-metric', headers=[(b'x-mlflow-workspace', b'team-a')])
    assert (answer.status, answer.body, called) == (501, 'workspaces are off', ['workspace'])


def test_an_empty_workspace_header_needs_no_hook(light):
    app, called = light
    answer = call(app, '/api/2.0/mlflow/experiments/search', headers=[(b'x-mlflow-workspace', b'  ')])
    assert answer.status == 200 and not called


def test_workspaces_on_every_request_goes_to_mlflows_hook(light, monkeypatch):
    monkeypatch.setenv('MLFLOW_ENABLE_WORKSPACES', 'true')
    app, called = light
    answer = call(app, '/api/2.0/mlflow/experiments/search')
    assert answer.status == 200 and called == ['workspace']


def test_gateway_paths_are_timed_by_mlflows_hook(light):
    app, called = light
    answer = call(app, '/gateway/chat/mlflow/invocations')
    assert answer.status == 200 and answer.headers[b'x-timed'] == b'1' and called == ['gateway']
    answer = call(app, '/api/2.0/mlflow/runs/get')
    assert b'x-timed' not in answer.headers and called == ['gateway']


def test_other_hooks_and_a_served_app_stay_as_they_are():
    called = []
    app = mlflow_like_app(called)

    async def other_hook(request, call_next):
        return await call_next(request)

    app.middleware('http')(other_hook)
    assert sorted(hooks.lighten(app, prefix=lambda: GATEWAY)) == [hooks.GATEWAY_HOOK, hooks.WORKSPACE_HOOK]
    assert [m.cls for m in app.user_middleware].count(BaseHTTPMiddleware) == 1

    served = mlflow_like_app([])
    call(served, '/health')
    assert hooks.lighten(served, prefix=lambda: GATEWAY) == []
    assert hooks.lighten(object()) == []


def test_hooks_of_another_module_stay():
    app = FastAPI()

    async def workspace_context_middleware(request, call_next):
        return await call_next(request)

    app.middleware('http')(workspace_context_middleware)
    assert hooks.lighten(app, prefix=lambda: GATEWAY) == []
    assert app.user_middleware[0].cls is BaseHTTPMiddleware
