"""Test-only: run a command while a client asks the service for an answer, and say how long it went without.

    downtime.py URL -- COMMAND...
        runs COMMAND while asking URL (HTTPS, basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD,
        CA from MLFLOW_TRACKING_SERVER_CERT_PATH) every 0.1 s, and prints as JSON the command's
        exit code and output, how many asks failed, and the longest stretch without an answer
        (the seconds without service).
"""

import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request


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


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[2] == "--":
        downtime(sys.argv[1], sys.argv[3:])
    else:
        sys.exit(__doc__)
