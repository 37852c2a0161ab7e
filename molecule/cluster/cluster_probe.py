"""Test-only: what the users of a cluster see while its hosts fail and its playbook runs.

Runs on the controller with the stock MLflow client, configured only by what a user would set:
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD,
MLFLOW_TRACKING_SERVER_CERT_PATH.

    cluster_probe.py load STOP_FILE      log a metric in a loop (the stock client, its default
                                         retries), a call every LOAD_INTERVAL_S at most (a busy
                                         training loop), until STOP_FILE exists; then read the
                                         history back
    cluster_probe.py throughput SECONDS CLIENTS
                                         CLIENTS processes log metrics as fast as they are
                                         answered, all for the same SECONDS
    cluster_probe.py artifact            log a run with a 5 MB artifact and read it back
    cluster_probe.py fetch RUN NAME      read an artifact of a run (what a user reading it does)
    cluster_probe.py converge ARGS...    run ansible-playbook ARGS, report the recap per host
    cluster_probe.py heal ENDPOINT BUCKET  heal the bucket through MinIO's admin API (what
                                         `mc admin heal -r` did), with MINIO_ROOT_USER and
                                         MINIO_ROOT_PASSWORD; wait until the heal has finished

Each prints one JSON object as its last line.
- load: calls, failed (calls that raised: what a training job would see), missing (acknowledged
  steps not in the history afterwards), the longest call in seconds (how long a client waited
  while a fault was absorbed), the longest time without an acknowledged call (how long writes
  were out) and the calls per second.
- throughput: the clients, the calls of all of them per second, the median and 95th percentile
  of a call in milliseconds, and the calls that raised.
- artifact: run_id and the artifact's path in the bucket.
- converge: seconds, rc, and per host the PLAY RECAP counts (ok, changed, failed, unreachable).
- heal: seconds, and the number of objects MinIO reported on.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

# The load's pace: a call starts at most every 0.1 s. Faster adds nothing the faults show (a call
# that fails, a value lost, how long writes were out, to the tenth of a second) and takes the CPU
# the playbook runs beside it need.
LOAD_INTERVAL_S = 0.1
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def client():
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def experiment(mlflow_client, name):
    found = mlflow_client.get_experiment_by_name(name)
    return found.experiment_id if found else mlflow_client.create_experiment(name)


def load(stop_file):
    mlflow_client = client()
    run_id = mlflow_client.create_run(experiment(mlflow_client, "cluster-load")).info.run_id
    acknowledged, failed, longest, errors = [], 0, 0.0, []
    started = time.monotonic()
    last_ack, outage = started, 0.0
    step = 0
    while not os.path.exists(stop_file):
        step += 1
        begun = time.monotonic()
        try:
            mlflow_client.log_metric(run_id, "loss", 1.0 / step, step=step)
            acknowledged.append(step)
            outage = max(outage, time.monotonic() - last_ack)
            last_ack = time.monotonic()
            if step == 1:  # the fault waits for this: a client that is logging, not still starting
                with open(stop_file + ".ready", "w", encoding="utf-8"):
                    pass
        except Exception as exc:  # what a training job would see
            failed += 1
            errors.append("step %d: %s" % (step, str(exc)[:300]))
        took = time.monotonic() - begun
        longest = max(longest, took)
        if took < LOAD_INTERVAL_S:
            time.sleep(LOAD_INTERVAL_S - took)
    elapsed = time.monotonic() - started
    history = {metric.step for metric in mlflow_client.get_metric_history(run_id, "loss")}
    missing = [number for number in acknowledged if number not in history]
    print(json.dumps({
        "run_id": run_id, "calls": step, "failed": failed, "errors": errors[:5],
        "acknowledged": len(acknowledged), "missing": missing[:20], "missing_count": len(missing),
        "longest_call_s": round(longest, 2), "longest_without_ack_s": round(outage, 1), "calls_per_s": round(step / elapsed, 1) if elapsed else 0.0,
        "seconds": round(elapsed, 1),
    }))


def _throughput_client(experiment_id, seconds, barrier, results):
    latencies, failed, step = [], 0, 0
    try:
        mlflow_client = client()
        run_id = mlflow_client.create_run(experiment_id).info.run_id
        mlflow_client.log_metric(run_id, "loss", 1.0, step=0)  # the connection is open before the clock starts
    except Exception as exc:  # a client that cannot start stops the others' wait too
        barrier.abort()
        results.put(([], 1, "starting: %s" % str(exc)[:300]))
        return
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        results.put(([], 0, "another client could not start"))
        return
    ended = time.monotonic() + seconds
    while time.monotonic() < ended:
        step += 1
        begun = time.monotonic()
        try:
            mlflow_client.log_metric(run_id, "loss", 1.0 / step, step=step)
            latencies.append(time.monotonic() - begun)
        except Exception:  # counted, as a training job would see it
            failed += 1
    results.put((latencies, failed, None))


def throughput(seconds, clients):
    import multiprocessing

    # The experiment is made once, before the clients start: several clients making the same one
    # at once would race.
    experiment_id = experiment(client(), "cluster-throughput")
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(clients), context.Queue()
    workers = [context.Process(target=_throughput_client, args=(experiment_id, seconds, barrier, results),
                               name='client-%d' % number, daemon=True)
               for number in range(clients)]
    for worker in workers:
        worker.start()
    latencies, failed, errors = [], 0, []
    for worker in workers:
        some, lost, error = results.get(timeout=seconds + 120)
        latencies.extend(some)
        failed += lost
        if error:
            errors.append(error)
    for worker in workers:
        worker.join()
    latencies.sort()

    def percentile(share):
        return round(1000 * latencies[min(len(latencies) - 1, int(share * len(latencies)))], 1) if latencies else None

    print(json.dumps({"clients": clients, "seconds": seconds, "calls": len(latencies), "failed": failed,
                      "errors": errors[:3], "calls_per_s": round(len(latencies) / seconds, 1),
                      "p50_ms": percentile(0.5), "p95_ms": percentile(0.95)}))


def artifact():
    mlflow_client = client()
    run_id = mlflow_client.create_run(experiment(mlflow_client, "cluster-artifacts")).info.run_id
    payload = os.urandom(5 * 1024 * 1024 + 7)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "blob-%s.bin" % uuid.uuid4().hex[:8])
        with open(path, "wb") as handle:
            handle.write(payload)
        mlflow_client.log_artifact(run_id, path)
        name = os.path.basename(path)
        fetched = mlflow_client.download_artifacts(run_id, name, os.path.join(tmp, "back"))
        with open(fetched, "rb") as handle:
            if hashlib.sha256(handle.read()).digest() != hashlib.sha256(payload).digest():
                sys.exit("the artifact came back different")
    print(json.dumps({"run_id": run_id, "name": name}))


def fetch(run_id, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = client().download_artifacts(run_id, name, tmp)
        print(json.dumps({"run_id": run_id, "name": name, "bytes": os.path.getsize(path)}))


def converge(args):
    started = time.monotonic()
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    hosts = {match[0]: {"ok": int(match[1]), "changed": int(match[2]), "unreachable": int(match[3]),
                        "failed": int(match[4])} for match in RECAP.findall(done.stdout)}
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-6000:] + done.stderr[-2000:])
    print(json.dumps({"rc": done.returncode, "seconds": round(time.monotonic() - started, 1), "hosts": hosts}))


def _admin(endpoint, path, query, body):
    """One signed call of MinIO's admin API (SigV4, as its madmin client signs them)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    url = '%s/minio/admin/v3/%s?%s' % (endpoint.rstrip('/'), path, query)
    request = botocore.awsrequest.AWSRequest(method='POST', url=url, data=body)
    credentials = botocore.credentials.Credentials(os.environ['MINIO_ROOT_USER'], os.environ['MINIO_ROOT_PASSWORD'])
    botocore.auth.S3SigV4Auth(credentials, 's3', 'us-east-1').add_auth(request)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=dict(request.headers.items()),
                                                           method='POST'), timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        sys.exit('MinIO admin API %s: %s %s' % (path, exc.code, exc.read()[:500]))


def heal(endpoint, bucket):
    started = time.monotonic()
    path = 'heal/%s/' % bucket
    options = json.dumps({"recursive": True, "dryRun": False, "remove": False, "scanMode": 1}).encode()
    token = _admin(endpoint, path, 'forceStart=true', options)['clientToken']
    items = 0
    while True:
        status = _admin(endpoint, path, 'clientToken=' + urllib.parse.quote(token, safe=''), b'')
        items += len(status.get('Items') or [])
        if status.get('Summary') != 'running':
            break
        time.sleep(0.5)
    if status.get('Summary') != 'finished':
        sys.exit('the heal ended %s: %s' % (status.get('Summary'), status.get('FailureDetail')))
    print(json.dumps({"seconds": round(time.monotonic() - started, 1), "objects": items}))


def main():
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        if not os.environ.get(name) and sys.argv[1:2] not in (["converge"], ["heal"]):
            sys.exit("%s is not set" % name)
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "load" and len(sys.argv) == 3:
        load(sys.argv[2])
    elif command == "throughput" and len(sys.argv) == 4:
        throughput(float(sys.argv[2]), int(sys.argv[3]))
    elif command == "artifact":
        artifact()
    elif command == "fetch" and len(sys.argv) == 4:
        fetch(sys.argv[2], sys.argv[3])
    elif command == "heal" and len(sys.argv) == 4:
        heal(sys.argv[2], sys.argv[3])
    elif command == "converge" and len(sys.argv) > 2:
        converge(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
