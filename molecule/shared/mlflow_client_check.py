"""Log a run through the deployed service with the stock MLflow client, then read it back.

Configured only by the environment a user would set: MLFLOW_TRACKING_URI,
MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_SERVER_CERT_PATH (and, where
the server offers presigned transfers through the proxy, REQUESTS_CA_BUNDLE and the multipart
thresholds). Prints one JSON object (experiment_id, run_id, artifact_uri, and the transfer
capabilities the server offered) for the caller to check where the artifact landed and how.
"""

import hashlib
import json
import os
import sys
import tempfile
import uuid

import mlflow
import requests
from mlflow.tracking import MlflowClient


def server_info():
    """The server-info answer the stock client reads before a large transfer."""
    answer = requests.get(os.environ["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/3.0/mlflow/server-info",
                          auth=(os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"]),
                          verify=os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or True, timeout=30)
    answer.raise_for_status()
    return answer.json()


def main():
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        if not os.environ.get(name):
            sys.exit(f"{name} is not set")

    marker = uuid.uuid4().hex
    experiment = mlflow.set_experiment(f"verify-{marker[:8]}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hello.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(marker)
        # Larger than one 8 MiB part: the server streams it to the store in several parts.
        weights = os.path.join(tmp, "weights.bin")
        payload = os.urandom(20 * 1024 * 1024 + 123)
        with open(weights, "wb") as handle:
            handle.write(payload)
        with mlflow.start_run(run_name="verify") as run:
            mlflow.log_param("boop", 1)
            mlflow.log_metric("loss", 0.25, step=1)
            mlflow.log_artifact(path)
            mlflow.log_artifact(weights, artifact_path="model")

    client = MlflowClient()
    stored = client.get_run(run.info.run_id)
    assert stored.data.params == {"boop": "1"}, stored.data.params
    assert stored.data.metrics == {"loss": 0.25}, stored.data.metrics
    listed = sorted(entry.path for entry in client.list_artifacts(run.info.run_id))
    assert listed == ["hello.txt", "model"], listed
    with tempfile.TemporaryDirectory() as tmp:
        fetched = client.download_artifacts(run.info.run_id, "hello.txt", tmp)
        with open(fetched, encoding="utf-8") as handle:
            assert handle.read() == marker, "artifact content differs"
        fetched = client.download_artifacts(run.info.run_id, "model/weights.bin", tmp)
        with open(fetched, "rb") as handle:
            assert hashlib.sha256(handle.read()).digest() == hashlib.sha256(payload).digest(), \
                "the 20 MB artifact came back different"

    info = server_info()
    print(json.dumps({
        "multipart_uploads_enabled": info.get("multipart_uploads_enabled", False),
        "multipart_downloads_enabled": info.get("multipart_downloads_enabled", False),
        "experiment_id": experiment.experiment_id,
        "run_id": run.info.run_id,
        "artifact_uri": run.info.artifact_uri,
        "marker": marker,
    }))


if __name__ == "__main__":
    main()
