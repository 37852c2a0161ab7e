"""Test-only: what a user of the deployed service sees when one of its processes dies.

Runs on the test host with the server's virtualenv (it has the stock MLflow client), configured
only by what a user would set: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME,
MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_SERVER_CERT_PATH. Every run it logs and gets an answer
for is appended to LEDGER: those are the acknowledged writes that must survive.

    recovery_probe.py log                 log one run (param, metric, artifact); record it
    recovery_probe.py kill SERVICE        kill -9 the unit's main process, then measure (below)
    recovery_probe.py wait SINCE          measure from SINCE (epoch seconds, e.g. a host reboot)
    recovery_probe.py check               every recorded run is there, with its metric and artifact

A measurement runs two clients side by side and prints one JSON object:
- served_s: a client without retries (one attempt every 0.2 s, each with a 2 s timeout) doing
  what a training job does: a new run, a metric, a small artifact written and read back; the
  seconds from the kill to the first attempt that succeeds, and how many failed before it;
- retrying_s: the stock client as users run it (its default retries) logging one metric, started
  at the kill: the seconds it took, and whether the user saw an error.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

LEDGER = "/root/recovery-ledger.jsonl"
POLL_S = 0.2
LIMIT_S = 120


def client(retries=None):
    """A stock MlflowClient; retries=0 gives one that fails fast (the env is read per request)."""
    if retries is not None:
        os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(retries)
        os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "2"
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def experiment_id(mlflow_client):
    found = mlflow_client.get_experiment_by_name("recovery")
    return found.experiment_id if found else mlflow_client.create_experiment("recovery")


def log_one(mlflow_client, experiment):
    """One run as a training job writes it; returns what must be found again."""
    marker = uuid.uuid4().hex
    run = mlflow_client.create_run(experiment)
    run_id = run.info.run_id
    mlflow_client.log_param(run_id, "marker", marker)
    mlflow_client.log_metric(run_id, "loss", 0.5, step=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "note.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(marker)
        mlflow_client.log_artifact(run_id, path)
        back = mlflow_client.download_artifacts(run_id, "note.txt", tmp + "/back")
        with open(back, encoding="utf-8") as handle:
            if handle.read() != marker:
                raise RuntimeError("the artifact read back is not the one written")
    mlflow_client.set_terminated(run_id)
    record = {"run_id": run_id, "marker": marker, "sha256": hashlib.sha256(marker.encode()).hexdigest()}
    with open(LEDGER, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return record


def served(since, found):
    """Poll without retries until a whole training-job round trip succeeds."""
    fast = client(retries=0)
    experiment, failures, last_error = None, 0, ""
    while time.time() - since < LIMIT_S:
        try:
            experiment = experiment or experiment_id(fast)
            log_one(fast, experiment)
            found.update(served_s=round(time.time() - since, 2), failed_attempts=failures, last_error=last_error)
            return
        except Exception as exc:  # any failure the user would see counts; the next attempt follows
            failures += 1
            last_error = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
            time.sleep(POLL_S)
    found.update(served_s=None, failed_attempts=failures, last_error=last_error)


def retrying(since, found, run_id):
    """The stock client with its default retries, as a job that was logging when the fault hit."""
    code = ("import sys, mlflow.tracking as t; t.MlflowClient().log_metric(sys.argv[1], 'during', 1.0, step=2)")
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    done = subprocess.run([sys.executable, "-c", code, run_id], env=env, capture_output=True, text=True,
                          timeout=LIMIT_S * 3, check=False)
    found.update(retrying_s=round(time.time() - since, 2), retrying_ok=done.returncode == 0,
                 retrying_error=done.stderr.strip().splitlines()[-1][:300] if done.returncode else "")


def measure(since, run_id):
    found = {}
    threads = [threading.Thread(target=served, args=(since, found)),
               threading.Thread(target=retrying, args=(since, found, run_id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def main_pid(service):
    out = subprocess.run(["systemctl", "show", "-P", "MainPID", service], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def ledger():
    with open(LEDGER, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check():
    """Every acknowledged run: its param, metric and artifact as written."""
    mlflow_client = client()
    missing = []
    with tempfile.TemporaryDirectory() as tmp:
        records = ledger()
        for index, record in enumerate(records):
            try:
                run = mlflow_client.get_run(record["run_id"])
                back = mlflow_client.download_artifacts(record["run_id"], "note.txt", "%s/%d" % (tmp, index))
                with open(back, "rb") as handle:
                    artifact_ok = hashlib.sha256(handle.read()).hexdigest() == record["sha256"]
                if run.data.params.get("marker") != record["marker"] or run.data.metrics.get("loss") != 0.5 or not artifact_ok:
                    missing.append(record["run_id"])
            except Exception as exc:  # a run that cannot be read is lost to its user
                missing.append("%s (%s)" % (record["run_id"], type(exc).__name__))
    print(json.dumps({"runs": len(records), "missing": missing}))
    return 1 if missing else 0


def main():
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        if not os.environ.get(name):
            sys.exit("%s is not set" % name)
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "log":
        mlflow_client = client()
        print(json.dumps(log_one(mlflow_client, experiment_id(mlflow_client))))
    elif command == "kill" and len(sys.argv) == 3:
        service = sys.argv[2]
        mlflow_client = client()
        before = log_one(mlflow_client, experiment_id(mlflow_client))
        pid = main_pid(service)
        since = time.time()
        os.kill(pid, 9)
        found = measure(since, before["run_id"])
        after = main_pid(service)
        print(json.dumps(dict(found, service=service, killed_pid=pid, pid_after=after, restarted=after not in (0, pid))))
    elif command == "wait" and len(sys.argv) == 3:
        print(json.dumps(measure(float(sys.argv[2]), ledger()[-1]["run_id"])))
    elif command == "check":
        sys.exit(check())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
