"""A 100 MB artifact up and down through the proxy with the stock MLflow client.

Logs a file of random bytes to a new run (MLFLOW_TRACKING_* from the environment), downloads it
again, and prints one JSON line: the run, the sizes, the sha256, whether it matched and the seconds
each way. Exits 1 when the bytes that come back are not the ones that went up.

With ``--read RUN_ID``: downloads that run's large.bin again and prints its size and sha256, and
the seconds it took.
"""

import hashlib
import json
import os
import sys
import tempfile
import time

import mlflow

SIZE = 100 * 1024 * 1024


def main():
    with tempfile.TemporaryDirectory() as scratch:
        source = os.path.join(scratch, 'large.bin')
        digest = hashlib.sha256()
        with open(source, 'wb') as handle:
            left = SIZE
            while left:
                block = os.urandom(min(left, 4 * 1024 * 1024))
                digest.update(block)
                handle.write(block)
                left -= len(block)
        mlflow.set_experiment('large-artifacts')
        with mlflow.start_run() as run:
            started = time.monotonic()
            mlflow.log_artifact(source)
            up = time.monotonic() - started
        started = time.monotonic()
        back = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path='large.bin',
                                                   dst_path=os.path.join(scratch, 'back'))
        down = time.monotonic() - started
        again = hashlib.sha256()
        with open(back, 'rb') as handle:
            for block in iter(lambda: handle.read(4 * 1024 * 1024), b''):
                again.update(block)
        same = again.hexdigest() == digest.hexdigest()
        print(json.dumps({'run_id': run.info.run_id, 'bytes': SIZE, 'back': os.path.getsize(back),
                          'sha256': digest.hexdigest(), 'same_sha256': same,
                          'up_s': round(up, 2), 'down_s': round(down, 2)}))
        return 0 if same else 1


def read(run_id):
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        back = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path='large.bin', dst_path=scratch)
        down = time.monotonic() - started
        digest = hashlib.sha256()
        with open(back, 'rb') as handle:
            for block in iter(lambda: handle.read(4 * 1024 * 1024), b''):
                digest.update(block)
        print(json.dumps({'run_id': run_id, 'back': os.path.getsize(back), 'sha256': digest.hexdigest(),
                          'down_s': round(down, 2)}))
        return 0


if __name__ == '__main__':
    sys.exit(read(sys.argv[2]) if sys.argv[1:2] == ['--read'] else main())
