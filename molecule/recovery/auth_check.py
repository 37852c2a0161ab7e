"""MLflow's own users on a converged stack (server_auth: mlflow), through Caddy with TLS.

Run on the host with the server's virtualenv (the stock MLflow client, requests). The accounts come
from the environment: AUTH_ADMIN, AUTH_ALICE, AUTH_BOB, AUTH_CAROL as user:password, and
MLFLOW_TRACKING_URI and MLFLOW_TRACKING_SERVER_CERT_PATH as for any client.

  auth_check.py access     every path refuses no account and a wrong password (401); alice, bob and
                           carol see and do what their permissions say (server_auth_default_permission
                           NO_PERMISSIONS), bob's artifact included, which the proxy takes from the
                           store only for those who may read it; the admin makes, grants and removes
                           a user through MLflow's API
  auth_check.py login USER PASSWORD [experiment]
                           whether that account may list experiments (and read the experiment)

Prints one JSON line with what it found; exits 1 when something is not as it should be.
"""

import json
import os
import sys
import uuid

import requests

URI = os.environ['MLFLOW_TRACKING_URI'].rstrip('/')
CA = os.environ['MLFLOW_TRACKING_SERVER_CERT_PATH']
# Every kind of path: the UI's page and files, the REST API and the UI's ajax API, artifacts, GraphQL,
# and the metrics door.
PATHS = [('GET', '/'), ('GET', '/static-files/static/js/main.js'), ('GET', '/favicon.ico'),
         ('GET', '/api/2.0/mlflow/experiments/search?max_results=5'),
         ('GET', '/ajax-api/2.0/mlflow/experiments/search?max_results=5'),
         ('GET', '/api/2.0/mlflow-artifacts/artifacts?path=1'),
         ('GET', '/ajax-api/2.0/mlflow/users/current'),
         ('POST', '/graphql'), ('GET', '/metrics/targets'), ('GET', '/version')]


def account(name):
    user, dummy, password = os.environ[name].partition(':')
    return user, password


def status(method, path, auth=None):
    return requests.request(method, URI + path, auth=auth, verify=CA, timeout=30,
                            json={'query': '{ __typename }'} if method == 'POST' else None).status_code


def client(auth):
    os.environ['MLFLOW_TRACKING_USERNAME'], os.environ['MLFLOW_TRACKING_PASSWORD'] = auth
    from mlflow import MlflowClient

    return MlflowClient(URI)


def denied(call):
    """'denied' when MLflow refuses call with 403 PERMISSION_DENIED, else what it did."""
    from mlflow.exceptions import MlflowException

    try:
        call()
    except MlflowException as exc:
        return 'denied' if exc.error_code == 'PERMISSION_DENIED' else exc.error_code
    return 'allowed'


def artifact_download(run_uri, name, auth):
    """(status, body, whether the store answered, whether the proxy's X-Filament-Store header reached
    the client) of a GET of artifact name of the run, not following redirects."""
    url = '%s/api/2.0/mlflow-artifacts/artifacts/%s/%s' % (URI, run_uri.split(':', 1)[1].strip('/'), name)
    answer = requests.get(url, auth=auth, verify=CA, timeout=30, allow_redirects=False)
    return answer.status_code, answer.text, 'x-amz-request-id' in answer.headers, 'x-filament-store' in answer.headers


def artifact_access(alice, bob, carol, bob_run, found):
    """Bob's artifact, downloaded by carol (READ on his experiment) and alice (no permission).

    The proxy answers a permitted download from the store (server_presigned_through_proxy): MLflow's
    permission check must come first, and a refused one must not reach the store.
    """
    text = 'bob-notes-%s\n' % uuid.uuid4().hex
    bob_client = client(bob)
    bob_client.log_text(bob_run, text, 'notes/bob.txt')
    run_uri = bob_client.get_run(bob_run).info.artifact_uri
    found['artifact'] = {}
    for who, auth in (('bob', bob), ('carol', carol), ('alice', alice)):
        code, body, from_store, leaked = artifact_download(run_uri, 'notes/bob.txt', auth)
        found['artifact'][who] = {'status': code, 'content': body == text, 'from_store': from_store, 'store_header': leaked}
    wanted = {'bob': {'status': 200, 'content': True, 'from_store': True, 'store_header': False},
              'carol': {'status': 200, 'content': True, 'from_store': True, 'store_header': False},
              'alice': {'status': 403, 'content': False, 'from_store': False, 'store_header': False}}
    return ['artifact download by %s: %s, wanted %s' % (who, found['artifact'][who], value)
            for who, value in wanted.items() if found['artifact'][who] != value]


def access():
    problems, found = [], {}
    admin, alice, bob, carol = (account(name) for name in ('AUTH_ADMIN', 'AUTH_ALICE', 'AUTH_BOB', 'AUTH_CAROL'))
    found['no_account'] = {path: status(method, path) for method, path in PATHS}
    found['wrong_password'] = {path: status(method, path, (alice[0], alice[1] + 'x')) for method, path in PATHS}
    for case in ('no_account', 'wrong_password'):
        problems += ['%s: %s answered %s' % (case, path, code) for path, code in found[case].items() if code != 401]
    found['alice_page'] = status('GET', '/', alice)
    if found['alice_page'] != 200:
        problems.append('alice could not open the UI page: %s' % found['alice_page'])

    # Each of alice and bob logs a run in an experiment of their own (made by the role for them).
    runs = {}
    for auth in (alice, bob):
        mlflow = client(auth)
        experiment = mlflow.get_experiment_by_name('%s-trials' % auth[0])
        run = mlflow.create_run(experiment.experiment_id)
        mlflow.log_param(run.info.run_id, 'who', auth[0])
        mlflow.log_metric(run.info.run_id, 'loss', 0.5)
        runs[auth[0]] = (experiment.experiment_id, run.info.run_id)
    bob_experiment, bob_run = runs['bob']
    alice_experiment, alice_run = runs['alice']
    problems += artifact_access(alice, bob, carol, bob_run, found)

    mlflow = client(alice)
    found['alice'] = {
        'own_run': mlflow.get_run(alice_run).data.params.get('who'),
        'bob_experiment': denied(lambda: mlflow.get_experiment(bob_experiment)),
        'bob_run': denied(lambda: mlflow.get_run(bob_run)),
        'log_to_bob': denied(lambda: mlflow.create_run(bob_experiment)),
        'listed': sorted(e.name for e in mlflow.search_experiments()),
        # a new experiment of her own: MLflow grants its maker MANAGE
        'made_own': denied(lambda: mlflow.create_experiment('alice-new-%s' % uuid.uuid4().hex[:8])),
    }
    mlflow = client(carol)
    found['carol'] = {
        'read_bob_run': denied(lambda: mlflow.get_run(bob_run)),
        'log_to_bob': denied(lambda: mlflow.log_metric(bob_run, 'loss', 0.1)),
        'alice_run': denied(lambda: mlflow.get_run(alice_run)),
    }
    wanted = {'alice': {'own_run': 'alice', 'bob_experiment': 'denied', 'bob_run': 'denied', 'log_to_bob': 'denied',
                        'made_own': 'allowed'},
              'carol': {'read_bob_run': 'allowed', 'log_to_bob': 'denied', 'alice_run': 'denied'}}
    for who, checks in wanted.items():
        problems += ['%s: %s is %s, wanted %s' % (who, key, found[who][key], value)
                     for key, value in checks.items() if found[who][key] != value]
    if 'bob-trials' in found['alice']['listed'] or 'alice-trials' not in found['alice']['listed']:
        problems.append('alice lists %s' % found['alice']['listed'])

    # The admin manages users through MLflow's own API.
    os.environ['MLFLOW_TRACKING_USERNAME'], os.environ['MLFLOW_TRACKING_PASSWORD'] = admin
    from mlflow.server import get_app_client

    users = get_app_client('basic-auth', tracking_uri=URI)
    dave = ('dave-%s' % uuid.uuid4().hex[:6], 'dave-password-%s' % uuid.uuid4().hex[:6])
    users.create_user(dave[0], dave[1])
    users.grant_user_permission(dave[0], 'experiment', alice_experiment, 'READ')
    mlflow = client(dave)
    found['dave'] = {'read_alice_run': denied(lambda: mlflow.get_run(alice_run)),
                     'bob_run': denied(lambda: mlflow.get_run(bob_run))}
    os.environ['MLFLOW_TRACKING_USERNAME'], os.environ['MLFLOW_TRACKING_PASSWORD'] = admin
    users.delete_user(dave[0])
    found['dave']['after_delete'] = status('GET', '/api/2.0/mlflow/experiments/search?max_results=1', dave)
    if found['dave'] != {'read_alice_run': 'allowed', 'bob_run': 'denied', 'after_delete': 401}:
        problems.append('the user the admin made: %s' % found['dave'])
    found['problems'] = problems
    return found


def login(user, password, experiment=None):
    found = {'status': status('GET', '/api/2.0/mlflow/experiments/search?max_results=1', (user, password))}
    if experiment and found['status'] == 200:
        mlflow = client((user, password))
        found['experiment'] = denied(lambda: mlflow.get_experiment_by_name(experiment))
    return found


def main():
    if sys.argv[1] == 'access':
        found = access()
    else:
        found = login(*sys.argv[2:])
    print(json.dumps(found, sort_keys=True))
    return 1 if found.get('problems') else 0


if __name__ == '__main__':
    sys.exit(main())
