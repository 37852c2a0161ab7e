"""The UI's files for signed-in users only (files/filament_mlflow_server/signed_in.py)."""

import asyncio
import base64

from filament_mlflow_server import signed_in


def basic(user, password):
    return [(b'authorization', b'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()))]


class Recorder:
    def __init__(self):
        self.sent, self.inner_calls = [], 0

    async def inner(self, scope, receive, send):
        self.inner_calls += 1
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})

    async def send(self, message):
        self.sent.append(message)


def call(app, recorder, path, headers):
    scope = {'type': 'http', 'path': path, 'headers': headers}
    asyncio.run(app(scope, None, recorder.send))
    return recorder.sent[-2]['status'] if recorder.sent[-1]['type'] == 'http.response.body' else recorder.sent[-1]['status']


def make(checks, now):
    recorder = Recorder()

    def check(user, password):
        checks.append(user)
        return (user, password) == ('alice', 'alice-password-1')

    return signed_in.SignedInStaticFiles(recorder.inner, check=check, clock=lambda: now[0]), recorder


def test_credentials_reads_basic_only():
    assert signed_in.credentials(basic('alice', 'p:w')) == ('alice', 'p:w')
    assert signed_in.credentials([(b'Authorization', b'Bearer x')]) is None
    assert signed_in.credentials([(b'authorization', b'Basic !!!')]) is None
    assert signed_in.credentials([]) is None


def test_static_files_need_an_account_other_paths_go_to_mlflow():
    checks, now = [], [100.0]
    app, recorder = make(checks, now)
    assert call(app, recorder, '/static-files/static/js/main.js', []) == 401
    assert recorder.sent[0]['headers'][0] == (b'www-authenticate', b'Basic realm="mlflow"')
    assert call(app, recorder, '/favicon.ico', basic('alice', 'wrong-password')) == 401
    assert call(app, recorder, '/static-files/index.html', basic('alice', 'alice-password-1')) == 200
    # MLflow's own app decides on every other path (it asks for the account itself).
    assert call(app, recorder, '/api/2.0/mlflow/experiments/search', []) == 200
    assert recorder.inner_calls == 2


def test_a_good_check_is_remembered_for_a_minute_a_bad_one_never():
    checks, now = [], [100.0]
    app, recorder = make(checks, now)
    for dummy in range(3):
        call(app, recorder, '/static-files/a.js', basic('alice', 'alice-password-1'))
        call(app, recorder, '/static-files/a.js', basic('mallory', 'guess-guess-1'))
    assert checks == ['alice', 'mallory', 'mallory', 'mallory']
    now[0] += signed_in.REMEMBER_S + 1
    call(app, recorder, '/static-files/a.js', basic('alice', 'alice-password-1'))
    assert checks[-1] == 'alice' and len(checks) == 5
