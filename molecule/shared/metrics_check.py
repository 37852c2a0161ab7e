"""Scrape every metrics target of a converged site through the proxy, as Prometheus would.

Run on the controller against the proxy's published HTTPS port:
  1. /metrics/targets lists one target per job and host expected (--expect job=count ...);
  2. each target answers its own metrics with the metrics account, and 401 without an account or
     with an MLflow user's account; the metrics account opens nothing but /metrics/;
  3. a real Prometheus with docs/monitoring/prometheus.yml (only the site's URL, the password
     file and the CA filled in) discovers every target, scrapes each one up, and loads every
     alert rule of docs/monitoring/alerts.yml.

Environment: FILAMENT_METRICS_URL (https://host:port), FILAMENT_METRICS_USER,
FILAMENT_METRICS_PASSWORD, FILAMENT_MLFLOW_USER, FILAMENT_MLFLOW_PASSWORD, FILAMENT_CA (the proxy's
root certificate), FILAMENT_PROMETHEUS_BINARY. Prints one JSON line of what it found.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs', 'monitoring')

# A metric each job's page must have: the service's own, not only the exporter's.
MARKERS = {
    'caddy': 'caddy_',
    'node': 'node_filesystem_avail_bytes',
    'mysqld': 'mysql_up 1',
    'minio': 'minio_node_',
    'minio-cluster': 'minio_cluster_',
    'mlflow': 'mlflow_',
}
# And on at least one server (the one the client's calls went to): its request counters.
MLFLOW_REQUESTS = 'mlflow_http_request_total{'


def fetch(url, ca, user=None, password=None):
    """(status, body) of a GET, with basic auth when user is given."""
    request = urllib.request.Request(url)
    if user is not None:
        token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
        request.add_header('Authorization', 'Basic ' + token)
    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, response.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as exc:
        return exc.code, ''


def check_targets(base, ca, metrics_account, mlflow_account, expect):
    """Steps 1 and 2; the targets document."""
    status, body = fetch(base + '/metrics/targets', ca, *metrics_account)
    assert status == 200, 'GET /metrics/targets with the metrics account: %s' % status
    document = json.loads(body)
    jobs, counted = {}, []
    for group in document:
        jobs[group['labels']['job']] = jobs.get(group['labels']['job'], 0) + 1
    assert jobs == expect, 'the targets by job are %s, expected %s' % (jobs, expect)
    for group in document:
        path, job = group['labels']['__metrics_path__'], group['labels']['job']
        status, page = fetch(base + path, ca, *metrics_account)
        assert status == 200, 'GET %s with the metrics account: %s' % (path, status)
        assert MARKERS[job] in page, '%s has no %s in its %d bytes' % (path, MARKERS[job], len(page))
        if job == 'mlflow' and MLFLOW_REQUESTS in page:
            counted.append(path)
        for account, what in ((None, 'no account'), (mlflow_account, "an MLflow user's account")):
            status, dummy = fetch(base + path, ca, *(account or (None, None)))
            assert status == 401, 'GET %s with %s: %s, expected 401' % (path, what, status)
    assert counted or 'mlflow' not in expect, 'no MLflow server counts the requests it answered'
    for path in ('/metrics/targets', '/metrics', '/metrics/nothing'):
        status, dummy = fetch(base + path, ca)
        assert status == 401, 'GET %s without an account: %s, expected 401' % (path, status)
    status, dummy = fetch(base + '/metrics/nothing', ca, *metrics_account)
    assert status == 404, 'GET /metrics/nothing with the metrics account: %s, expected 404' % status
    for path in ('/health', '/api/2.0/mlflow/experiments/search?max_results=1'):
        status, dummy = fetch(base + path, ca, *metrics_account)
        assert status == 401, 'GET %s with the metrics account: %s, expected 401' % (path, status)
    return document


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def prometheus_scrapes(base, ca, metrics_account, expected, binary, timeout):
    """Step 3: the documented configuration in a real Prometheus; every target up."""
    work = tempfile.mkdtemp(prefix='filament-prometheus-')
    try:
        password_file = os.path.join(work, 'password')
        with open(password_file, 'w', encoding='utf-8') as handle:
            handle.write(metrics_account[1] + '\n')
        with open(os.path.join(DOCS, 'prometheus.yml'), encoding='utf-8') as handle:
            config = handle.read()
        config = (config.replace('https://mlflow.example.org/metrics/targets', base + '/metrics/targets')
                  .replace('/etc/prometheus/filament-mlflow.password', password_file)
                  .replace('/etc/prometheus/filament-mlflow-ca.crt', ca)
                  .replace('scrape_interval: 30s', 'scrape_interval: 2s'))
        with open(os.path.join(work, 'prometheus.yml'), 'w', encoding='utf-8') as handle:
            handle.write(config)
        shutil.copy(os.path.join(DOCS, 'alerts.yml'), work)
        port = free_port()
        log = open(os.path.join(work, 'prometheus.log'), 'w', encoding='utf-8')
        process = subprocess.Popen(
            [binary, '--config.file=' + os.path.join(work, 'prometheus.yml'),
             '--storage.tsdb.path=' + os.path.join(work, 'data'), '--web.listen-address=127.0.0.1:%d' % port],
            stdout=log, stderr=subprocess.STDOUT)
        api = 'http://127.0.0.1:%d/api/v1' % port
        deadline, health = time.monotonic() + timeout, {}
        try:
            while time.monotonic() < deadline:
                time.sleep(2)
                try:
                    with urllib.request.urlopen(api + '/targets?state=active', timeout=10) as response:
                        active = json.load(response)['data']['activeTargets']
                except (urllib.error.URLError, ConnectionError):
                    continue
                health = {'%s/%s' % (t['labels']['job'], t['labels']['instance']): t['health'] for t in active}
                if len(health) == expected and all(value == 'up' for value in health.values()):
                    break
            with urllib.request.urlopen(api + '/rules', timeout=10) as response:
                rules = [rule for group in json.load(response)['data']['groups'] for rule in group['rules']]
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
        if len(health) != expected or not all(value == 'up' for value in health.values()):
            with open(os.path.join(work, 'prometheus.log'), encoding='utf-8') as handle:
                tail = handle.read()[-3000:]
            raise AssertionError('Prometheus scraped %s (expected %d targets, all up); its log ends:\n%s'
                                 % (health, expected, tail))
        bad = [rule['name'] for rule in rules if rule.get('health') not in ('ok', 'unknown')]
        assert rules and not bad, 'alert rules that Prometheus could not evaluate: %s' % bad
        return health, len(rules)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--expect', nargs='+', required=True, help='job=count for every job the site has')
    parser.add_argument('--timeout', type=int, default=90)
    args = parser.parse_args()
    expect = {item.split('=')[0]: int(item.split('=')[1]) for item in args.expect}
    env = os.environ
    base, ca = env['FILAMENT_METRICS_URL'].rstrip('/'), env['FILAMENT_CA']
    metrics_account = (env['FILAMENT_METRICS_USER'], env['FILAMENT_METRICS_PASSWORD'])
    mlflow_account = (env['FILAMENT_MLFLOW_USER'], env['FILAMENT_MLFLOW_PASSWORD'])
    started = time.monotonic()
    document = check_targets(base, ca, metrics_account, mlflow_account, expect)
    health, rules = prometheus_scrapes(base, ca, metrics_account, len(document),
                                       env['FILAMENT_PROMETHEUS_BINARY'], args.timeout)
    print(json.dumps({'targets': sorted(health), 'rules': rules, 'seconds': round(time.monotonic() - started, 1)}))


if __name__ == '__main__':
    try:
        main()
    except AssertionError as exc:
        print('metrics check failed: %s' % exc, file=sys.stderr)
        sys.exit(1)
