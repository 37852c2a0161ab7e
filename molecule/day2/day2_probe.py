"""Test-only: what the upgrade and garbage collection tests need besides backup_probe.py.

    day2_probe.py fault-wheel DIR
        writes DIR/filament_test_fault-1.0-py3-none-any.whl: a package whose .pth file ends any
        process started as filament-mlflow-server (exit code 70) and nothing else, so a virtualenv
        that holds it installs, upgrades the schema, and then fails to serve: the failure after the
        schema upgrade that the role must roll back. Prints the wheel's path.
    day2_probe.py downtime URL -- COMMAND...
        runs COMMAND while asking URL (HTTPS, basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD,
        CA from MLFLOW_TRACKING_SERVER_CERT_PATH) every 0.1 s, and prints as JSON the command's
        exit code and output, how many asks failed, and the longest stretch without an answer
        (the seconds without service).
    day2_probe.py gc-data FILE
        with the stock client (MLFLOW_TRACKING_* as for backup_probe.py): an experiment with three
        runs, each with an artifact: one to be deleted long ago, one deleted now, one active; and
        an experiment with one run, deleted. Their ids go to FILE as JSON.
"""

import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile

FAULT = "import os, sys; sys.argv[0].endswith('filament-mlflow-server') and os._exit(70)\n"


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (name, digest, len(data))


def fault_wheel(directory):
    info = "filament_test_fault-1.0.dist-info"
    files = {
        "filament_test_fault.pth": FAULT.encode(),
        info + "/METADATA": b"Metadata-Version: 2.1\nName: filament-test-fault\nVersion: 1.0\n",
        info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: filament-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(record_line(name, data) for name, data in files.items()) + info + "/RECORD,,\n"
    path = os.path.join(directory, "filament_test_fault-1.0-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(info + "/RECORD", record)
    print(path)


def downtime(url, command):
    context = ssl.create_default_context(cafile=os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"])
    token = base64.b64encode(("%s:%s" % (os.environ["MLFLOW_TRACKING_USERNAME"],
                                         os.environ["MLFLOW_TRACKING_PASSWORD"])).encode()).decode()
    state = {"asked": 0, "failed": 0, "longest": 0.0, "since": None}
    done = threading.Event()

    def ask():
        while not done.is_set():
            started = time.monotonic()
            try:
                request = urllib.request.Request(url, headers={"Authorization": "Basic " + token})
                with urllib.request.urlopen(request, timeout=2, context=context) as answer:
                    ok = answer.status == 200
            except Exception:  # pylint: disable=broad-except  # any failure is time without service
                ok = False
            state["asked"] += 1
            if ok:
                if state["since"] is not None:
                    state["longest"] = max(state["longest"], started - state["since"])
                    state["since"] = None
            else:
                state["failed"] += 1
                if state["since"] is None:
                    state["since"] = started
            time.sleep(0.1)

    watcher = threading.Thread(target=ask, daemon=True)
    watcher.start()
    began = time.monotonic()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - began
    time.sleep(1)
    done.set()
    watcher.join(5)
    if state["since"] is not None:
        state["longest"] = max(state["longest"], time.monotonic() - state["since"])
    print(json.dumps({"rc": finished.returncode, "seconds": round(seconds, 1), "asked": state["asked"],
                      "failed": state["failed"], "longest_without_service": round(state["longest"], 1),
                      "still_down": state["since"] is not None, "output": (finished.stdout + finished.stderr)[-6000:]}))


def gc_data(target):
    import tempfile
    import uuid

    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    marker = uuid.uuid4().hex[:8]

    def run_with_artifact(experiment_id, directory):
        run_id = client.create_run(experiment_id).info.run_id
        path = os.path.join(directory, "a.txt")
        with open(path, "wb") as handle:
            handle.write(os.urandom(4096))
        client.log_artifact(run_id, path)
        client.set_terminated(run_id)
        return run_id

    with tempfile.TemporaryDirectory() as directory:
        kept = client.create_experiment("gc-%s" % marker)
        old = run_with_artifact(kept, directory)
        recent = run_with_artifact(kept, directory)
        active = run_with_artifact(kept, directory)
        gone = client.create_experiment("gc-%s-deleted" % marker)
        gone_run = run_with_artifact(gone, directory)
    client.delete_run(old)
    client.delete_run(recent)
    client.delete_experiment(gone)
    data = {"experiment_kept": kept, "experiment_gone": gone, "old": [old, gone_run], "recent": recent, "active": active}
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    print(json.dumps(data))


def main():
    if sys.argv[1:2] == ["fault-wheel"] and len(sys.argv) == 3:
        fault_wheel(sys.argv[2])
    elif sys.argv[1:2] == ["gc-data"] and len(sys.argv) == 3:
        gc_data(sys.argv[2])
    elif sys.argv[1:2] == ["downtime"] and len(sys.argv) > 4 and sys.argv[3] == "--":
        downtime(sys.argv[2], sys.argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
