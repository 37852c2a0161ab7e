"""Test-only: what the upgrade and garbage collection tests need besides molecule/shared/mlflow_data.py.

    day2_probe.py fault-wheel DIR
        writes DIR/filament_test_fault-1.0-py3-none-any.whl: a package whose .pth file ends any
        process started as filament-mlflow-server (exit code 70) and nothing else, so a virtualenv
        that holds it installs, upgrades the schema, and then fails to serve: the failure after the
        schema upgrade that the role must roll back. Prints the wheel's path.
    day2_probe.py gc-data FILE
        with the stock client (MLFLOW_TRACKING_* as for molecule/shared/mlflow_data.py): an experiment with three
        runs, each with an artifact: one to be deleted long ago, one deleted now, one active; and
        an experiment with one run, deleted. Their ids go to FILE as JSON.
"""

import base64
import hashlib
import json
import os
import sys
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
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
