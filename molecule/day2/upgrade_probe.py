"""Test-only: what the upgrade test needs besides the stock client.

    upgrade_probe.py fault-wheel DIR
        writes DIR/filament_test_fault-1.0-py3-none-any.whl: a package whose .pth file ends any
        process started as filament-mlflow-server (exit code 70) and nothing else, so a virtualenv
        that holds it installs, upgrades the schema, and then fails to serve: the failure after the
        schema upgrade that the role must roll back. Prints the wheel's path.
    upgrade_probe.py downtime URL -- COMMAND...
        runs COMMAND while asking URL (HTTPS, basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD,
        CA from MLFLOW_TRACKING_SERVER_CERT_PATH) every 0.1 s, and prints as JSON the command's
        exit code and output, how many asks failed, and the longest stretch without an answer
        (the seconds without service).
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


def main():
    if sys.argv[1:2] == ["fault-wheel"] and len(sys.argv) == 3:
        fault_wheel(sys.argv[2])
    elif sys.argv[1:2] == ["downtime"] and len(sys.argv) > 4 and sys.argv[3] == "--":
        downtime(sys.argv[2], sys.argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
