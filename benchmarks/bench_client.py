"""Client side of benchmarks/bench.py. Runs INSIDE the lab host with the role's venv python
(/opt/mlflow/venv/bin/python), so both deployments are measured by the same client on loopback.

    python bench_client.py http   --url URL [--cacert PEM] --user U --password P --n N
    python bench_client.py mlflow --url URL ... --metrics N --batch N --runs N --mb N --reps R
    python bench_client.py s3     --mb N --reps R

Prints one JSON object on stdout. While `mlflow` runs, a thread samples the RSS of the
processes of the given systemd units (from /proc/*/cgroup) and reports the peaks.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid


def unit_rss(units):
    """{unit: summed RSS in bytes} of the processes in each unit's cgroup."""
    out = dict.fromkeys(units, 0)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                cg = f.read()
            unit = next((u for u in units if f"/{u}.service" in cg), None)
            if unit is None:
                continue
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out[unit] += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return out


class RssSampler(threading.Thread):
    def __init__(self, units, interval=0.5):
        super().__init__(daemon=True)
        self.units, self.interval = units, interval
        self.peak = dict.fromkeys(units, 0)
        self.peak_total = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            s = unit_rss(self.units)
            for u, v in s.items():
                self.peak[u] = max(self.peak[u], v)
            self.peak_total = max(self.peak_total, sum(s.values()))
            self.stop.wait(self.interval)


def http_rates(a):
    import requests

    verify = a.cacert or True
    auth = (a.user, a.password)
    res = {}
    with requests.Session() as s:
        s.get(a.url + "/health", auth=auth, verify=verify).raise_for_status()
        lat = []
        t0 = time.perf_counter()
        for _ in range(a.n):
            t = time.perf_counter()
            s.get(a.url + "/health", auth=auth, verify=verify).raise_for_status()
            lat.append(time.perf_counter() - t)
        res["keepalive_rps"] = a.n / (time.perf_counter() - t0)
        res["keepalive_median_ms"] = statistics.median(lat) * 1000
    n = max(5, a.n // 4)
    lat = []
    t0 = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        with requests.Session() as s:  # a new TCP (and TLS) connection per request
            s.get(a.url + "/health", auth=auth, verify=verify).raise_for_status()
        lat.append(time.perf_counter() - t)
    res["newconn_rps"] = n / (time.perf_counter() - t0)
    res["newconn_median_ms"] = statistics.median(lat) * 1000
    return res


def quickack(a):
    """Raw keep-alive GETs of /health, plain and with TCP_QUICKACK forced before each recv: if
    the stall goes away with quick ACKs it is the client's delayed ACK meeting the server's Nagle."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(a.url)
    req = f"GET /health HTTP/1.1\r\nHost: {u.netloc}\r\n\r\n".encode()
    res = {}
    for label, quick in (("plain_median_ms", False), ("quickack_median_ms", True)):
        s = socket.create_connection((u.hostname, u.port))
        lat = []
        for _ in range(a.n):
            t = time.perf_counter()
            s.sendall(req)
            buf = b""
            while not (b"\r\n\r\n" in buf and buf.endswith(b"OK")):
                if quick:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            lat.append(time.perf_counter() - t)
        s.close()
        res[label] = statistics.median(lat) * 1000
    return res


def mlflow_bench(a):
    os.environ["MLFLOW_TRACKING_USERNAME"] = a.user
    os.environ["MLFLOW_TRACKING_PASSWORD"] = a.password
    if a.cacert:
        os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = a.cacert
    from concurrent.futures import ThreadPoolExecutor

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=a.url)
    sampler = RssSampler(a.units.split(",")) if a.units else None
    if sampler:
        sampler.start()
    tag = f"{a.label}-{uuid.uuid4().hex[:8]}"
    exp = c.create_experiment(f"bench-{tag}")
    res = {"log_metric_cps": [], "log_batch_s": [], "search_runs_s": [], "upload_mbps": [], "download_mbps": []}

    # search_runs corpus: created once, concurrently, with create_run + a small log_batch.
    sexp = c.create_experiment(f"bench-search-{tag}")

    def make_run(i):
        r = c.create_run(sexp, tags={"i": str(i)})
        c.log_batch(r.info.run_id, metrics=[Metric("m", float(i), 0, 0)])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(make_run, range(a.runs)))
    res["create_runs_s"] = time.perf_counter() - t0

    payload = payload_of(a.mb)

    for rep in range(a.reps):
        run = c.create_run(exp).info.run_id
        t0 = time.perf_counter()
        for i in range(a.metrics):
            c.log_metric(run, "loss", 1.0 / (i + 1), step=i)
        res["log_metric_cps"].append(a.metrics / (time.perf_counter() - t0))

        now = int(time.time() * 1000)
        batch = [Metric(f"b{i}", float(i), now, rep) for i in range(a.batch)]
        t0 = time.perf_counter()
        c.log_batch(run, metrics=batch)
        res["log_batch_s"].append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        runs = c.search_runs([sexp], max_results=max(a.runs, 1))
        res["search_runs_s"].append(time.perf_counter() - t0)
        assert len(runs) == a.runs, (len(runs), a.runs)

        artifact_round_trip(c, run, payload, a.mb, res)
        c.set_terminated(run)
    res["artifact_uri"] = c.get_run(run).info.artifact_uri
    # Leave the tracking store as found: the bench experiments go to the trash (soft delete;
    # `mlflow gc` removes them and their artifacts for good).
    for e in (exp, sexp):
        try:
            c.delete_experiment(e)
        except Exception as err:  # noqa: BLE001 - report, do not fail the measurements
            res.setdefault("cleanup_errors", []).append(str(err)[:200])
    if sampler:
        sampler.stop.set()
        sampler.join()
        res["peak_rss"] = sampler.peak
        res["peak_rss_total"] = sampler.peak_total
    return res


def payload_of(mb):
    """A file of mb MiB of random bytes, made once per size."""
    payload = os.path.join(tempfile.gettempdir(), f"bench-{mb}MB.bin")
    if not os.path.exists(payload) or os.path.getsize(payload) != mb << 20:
        with open(payload, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1 << 20))
    return payload


def artifact_round_trip(c, run, payload, mb, res):
    """payload (mb MiB) logged to run and downloaded again: the rates into res, the size checked."""
    t0 = time.perf_counter()
    c.log_artifact(run, payload)
    res["upload_mbps"].append(mb / (time.perf_counter() - t0))
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        p = c.download_artifacts(run, os.path.basename(payload), d)
        res["download_mbps"].append(mb / (time.perf_counter() - t0))
        assert os.path.getsize(p) == mb << 20


def artifacts_bench(a):
    """Only the artifact transfer of mlflow_bench: one mb MiB artifact up and down through the tracking
    server, a.reps times, each with the same bytes back."""
    os.environ["MLFLOW_TRACKING_USERNAME"] = a.user
    os.environ["MLFLOW_TRACKING_PASSWORD"] = a.password
    if a.cacert:
        os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = a.cacert
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=a.url)
    exp = c.create_experiment(f"bench-artifacts-{a.label}-{uuid.uuid4().hex[:8]}")
    payload = payload_of(a.mb)
    res = {"upload_mbps": [], "download_mbps": []}
    for _ in range(a.reps):
        run = c.create_run(exp).info.run_id
        artifact_round_trip(c, run, payload, a.mb, res)
        c.set_terminated(run)
    c.delete_experiment(exp)
    return res


def s3_bench(a):
    """boto3 straight to the store: the server's own (its environment file), or --endpoint with the
    key in BENCH_S3_KEY and BENCH_S3_SECRET."""
    import boto3

    env = {}
    if a.endpoint:
        env = {"MLFLOW_S3_ENDPOINT_URL": a.endpoint, "AWS_ACCESS_KEY_ID": os.environ["BENCH_S3_KEY"],
               "AWS_SECRET_ACCESS_KEY": os.environ["BENCH_S3_SECRET"]}
    else:
        with open("/etc/mlflow/mlflow.env") as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    k, v = line.rstrip("\n").split("=", 1)
                    env[k] = v.strip('"')
    s3 = boto3.client(
        "s3",
        endpoint_url=env["MLFLOW_S3_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    payload = payload_of(a.mb)
    key = f"bench-direct/{uuid.uuid4().hex}.bin"
    res = {"upload_mbps": [], "download_mbps": []}
    for _ in range(a.reps):
        t0 = time.perf_counter()
        s3.upload_file(payload, a.bucket, key)
        res["upload_mbps"].append(a.mb / (time.perf_counter() - t0))
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            s3.download_file(a.bucket, key, os.path.join(d, "x"))
            res["download_mbps"].append(a.mb / (time.perf_counter() - t0))
    s3.delete_object(Bucket=a.bucket, Key=key)
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["http", "mlflow", "artifacts", "s3", "quickack"])
    p.add_argument("--url")
    p.add_argument("--cacert", default="")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--label", default="x")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--metrics", type=int, default=200)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--mb", type=int, default=100)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--units", default="")
    p.add_argument("--bucket", default="mlflow")
    p.add_argument("--endpoint", default="", help="s3: this endpoint instead of the server's (key in BENCH_S3_KEY/SECRET)")
    a = p.parse_args()
    fn = {"http": http_rates, "mlflow": mlflow_bench, "artifacts": artifacts_bench, "s3": s3_bench, "quickack": quickack}[a.mode]
    result = fn(a)
    # MLflow may print to stdout too: the result is the line after the marker.
    print("\n@@BENCH-RESULT@@\n" + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
