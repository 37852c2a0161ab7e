"""Test-only: the data a team keeps in MLflow, written and read back with the stock client.

Configured only by what a user would set: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME,
MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_SERVER_CERT_PATH.

    mlflow_data.py log FILE     two experiments, four runs (one deleted) with params, tags,
                                 metric histories and artifacts of several sizes; what was
                                 logged goes to FILE as JSON
    mlflow_data.py check FILE   read every run of FILE back: params, tags, every metric value and
                                 step, every artifact's sha256; exit 1 on any difference

Each prints one JSON object as its last line.
"""

import hashlib
import json
import os
import sys
import tempfile
import uuid

# Artifacts of several sizes: empty, small, one part, several parts of a multipart upload.
SIZES = {"empty.txt": 0, "notes.txt": 1234, "model/weights.bin": 3 * 1024 * 1024 + 1, "model/big.bin": 17 * 1024 * 1024 + 5}


def client():
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def log(target):
    mlflow_client = client()
    marker = uuid.uuid4().hex[:8]
    logged = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, experiment_name in enumerate(("backup-%s-training" % marker, "backup-%s-tuning" % marker)):
            experiment_id = mlflow_client.create_experiment(experiment_name, tags={"team": "vision"})
            for index in range(2):
                run = mlflow_client.create_run(experiment_id, tags={"stage": "test", "index": str(index)})
                run_id = run.info.run_id
                params = {"lr": str(0.01 * (index + 1)), "layers": str(4 + number), "marker": marker}
                for key, value in params.items():
                    mlflow_client.log_param(run_id, key, value)
                history = [(step, 1.0 / (step + 1) + index) for step in range(150)]
                for step, value in history:
                    mlflow_client.log_metric(run_id, "loss", value, step=step)
                artifacts = {}
                for name, size in SIZES.items():
                    path = os.path.join(tmp, run_id, name)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "wb") as handle:
                        handle.write(os.urandom(size))
                    mlflow_client.log_artifact(run_id, path, artifact_path=os.path.dirname(name) or None)
                    artifacts[name] = sha256(path)
                mlflow_client.set_terminated(run_id)
                logged[run_id] = {"experiment": experiment_name, "params": params,
                                  "tags": {"stage": "test", "index": str(index)},
                                  "loss": history, "artifacts": artifacts, "deleted": False}
        # A deleted run is kept by a backup as it is (gc purges it later).
        mlflow_client.delete_run(run_id)
        logged[run_id]["deleted"] = True
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(logged, handle)
    print(json.dumps({"runs": len(logged), "artifacts": len(logged) * len(SIZES), "marker": marker}))


def check(source):
    with open(source, encoding="utf-8") as handle:
        logged = json.load(handle)
    mlflow_client = client()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for run_id, wanted in logged.items():
            run = mlflow_client.get_run(run_id)
            if run.data.params != wanted["params"]:
                problems.append("%s: params %s" % (run_id, run.data.params))
            tags = {key: value for key, value in run.data.tags.items() if not key.startswith("mlflow.")}
            if tags != wanted["tags"]:
                problems.append("%s: tags %s" % (run_id, tags))
            if (run.info.lifecycle_stage == "deleted") != wanted["deleted"]:
                problems.append("%s: lifecycle %s" % (run_id, run.info.lifecycle_stage))
            history = sorted((metric.step, metric.value) for metric in mlflow_client.get_metric_history(run_id, "loss"))
            if history != [tuple(point) for point in wanted["loss"]]:
                problems.append("%s: %d loss values differ" % (run_id, len(history)))
            for name, digest in wanted["artifacts"].items():
                path = mlflow_client.download_artifacts(run_id, name, os.path.join(tmp, run_id))
                if sha256(path) != digest:
                    problems.append("%s: artifact %s differs" % (run_id, name))
    print(json.dumps({"runs": len(logged), "problems": problems}))
    if problems:
        sys.exit(1)


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "log" and len(sys.argv) == 3:
        log(sys.argv[2])
    elif command == "check" and len(sys.argv) == 3:
        check(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
