"""Client side of benchmarks/bench.py. Runs INSIDE the lab host with the role's venv python
(/opt/mlflow/venv/bin/python), so both deployments are measured by the same client on loopback.

    python bench_client.py http   --url URL [--cacert PEM] --user U --password P --n N
    python bench_client.py mlflow --url URL ... --metrics N --batch N --runs N --mb N --reps R
    python bench_client.py s3     --mb N --reps R
    python bench_client.py floor  --url URL --direct URL --floor-url URL ... --n N
    python bench_client.py load   --url URL ... --procs N --seconds S --uploaders N --mb N
    python bench_client.py scale-data --url URL ... --experiment NAME [--size N] [--points P,...] [--drop]
    python bench_client.py scale  --url URL ... --experiment NAME --histories P=RUN,... --reps R

Prints one JSON object on stdout. While `mlflow` runs, a thread samples the RSS of the
processes of the given systemd units (from /proc/*/cgroup) and reports the peaks.
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid


def unit_processes(units):
    """(unit, pid) of every process in one of the units' cgroups."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                cg = f.read()
        except OSError:
            continue
        unit = next((u for u in units if f"/{u}.service" in cg), None)
        if unit is not None:
            yield unit, pid


def unit_rss(units):
    """{unit: summed RSS in bytes} of the processes in each unit's cgroup."""
    out = dict.fromkeys(units, 0)
    for unit, pid in unit_processes(units):
        try:
            with open(f"/proc/{pid}/status") as f:
                out[unit] += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) * 1024
        except (OSError, StopIteration):
            continue
    return out


def unit_cpu(units):
    """{unit: CPU seconds used so far by the processes in each unit's cgroup, with their reaped
    children} (/proc/PID/stat: the lab host's cgroups may not account CPU per unit)."""
    out = dict.fromkeys(units, 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    for unit, pid in unit_processes(units):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[unit] += sum(int(x) for x in fields[11:15]) / tick
        except (OSError, IndexError, ValueError):
            continue
    return out


def machine_cpu():
    """(busy, all) CPU time of the whole machine so far, in clock ticks (/proc/stat)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


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


def tracking_client(a, retries=True):
    """MlflowClient of a.url with the basic-auth user and CA of the command line (as a user sets them)."""
    os.environ["MLFLOW_TRACKING_USERNAME"] = a.user
    os.environ["MLFLOW_TRACKING_PASSWORD"] = a.password
    if not retries:
        os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    if a.cacert:
        os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = a.cacert
        # Presigned transfers through the proxy are plain HTTPS requests to the same address.
        os.environ["REQUESTS_CA_BUNDLE"] = a.cacert
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=a.url)


def mlflow_bench(a):
    from concurrent.futures import ThreadPoolExecutor

    from mlflow.entities import Metric

    c = tracking_client(a)
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
    c = tracking_client(a)
    exp = c.create_experiment(f"bench-artifacts-{a.label}-{uuid.uuid4().hex[:8]}")
    payload = payload_of(a.mb)
    res = {"upload_mbps": [], "download_mbps": []}
    for _ in range(a.reps):
        run = c.create_run(exp).info.run_id
        artifact_round_trip(c, run, payload, a.mb, res)
        c.set_terminated(run)
        delete_artifacts(c, run)
    c.delete_experiment(exp)
    return res


def delete_artifacts(c, run_id):
    """The run's artifacts deleted through the tracking server (the large ones would fill the lab's store)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
    from mlflow.tracking import set_tracking_uri

    set_tracking_uri(c.tracking_uri)
    get_artifact_repository(c.get_run(run_id).info.artifact_uri).delete_artifacts()


def s3_bench(a):
    """boto3 straight to the store: the server's own (its environment file), or --endpoint with the
    key in BENCH_S3_KEY and BENCH_S3_SECRET."""
    import boto3

    env = {}
    if a.endpoint:
        env = {"MLFLOW_S3_ENDPOINT_URL": a.endpoint, "AWS_ACCESS_KEY_ID": os.environ["BENCH_S3_KEY"],
               "AWS_SECRET_ACCESS_KEY": os.environ["BENCH_S3_SECRET"]}
    else:
        env = server_env()
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


def server_env():
    """The tracking server's environment file, as a dict (the bench runs as root on the host)."""
    env = {}
    with open("/etc/mlflow/mlflow.env") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v.strip('"')
    return env


def timed(n, call):
    """The median of n calls of call(i), in ms."""
    lat = []
    for i in range(n):
        t = time.perf_counter()
        call(i)
        lat.append(time.perf_counter() - t)
    return statistics.median(lat) * 1000


def floor(a):
    """One log_metric call and its floor, measured side by side on this host:
    - the stock client's call through Caddy (our deployment), the same REST call by hand through Caddy,
      and straight to the server (no proxy);
    - MLflow's SqlAlchemyStore.log_metric in this process, against the server's database, while the
      SQL statements it issues are recorded (SQLAlchemy's before_cursor_execute);
    - those statements replayed through the database driver (PyMySQL) on a run of their own, each
      call's statements then a commit; and a trivial round trip (SELECT 1) through the same driver;
    - one authenticated HTTPS round trip through Caddy to an endpoint that only answers (--floor-url).
    The floor is the replayed SQL plus that round trip; the differences between the figures say where
    the rest of the call goes."""
    import requests
    import sqlalchemy
    from sqlalchemy import event

    from mlflow.entities import Metric
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri = server_env()["MLFLOW_BACKEND_STORE_URI"]
    c = tracking_client(a)
    exp = c.create_experiment(f"bench-floor-{uuid.uuid4().hex[:8]}")
    run_client, run_rest, run_direct, run_asgi, run_flask, run_store, run_sql = (c.create_run(exp).info.run_id for _ in range(7))
    n = a.n
    res = {"n": n}
    base = int(time.time() * 1000)

    # The stock client, then the same request by hand: through Caddy, then straight to the server.
    res["client_ms"] = timed(n, lambda i: c.log_metric(run_client, "floor", float(i), timestamp=base + i, step=i))
    verify = a.cacert or True
    path = "/api/2.0/mlflow/runs/log-metric"

    def body(run, i):
        return {"run_id": run, "key": "floor", "value": float(i), "timestamp": base + i, "step": i}

    with requests.Session() as s:
        s.post(a.url + path, json=body(run_rest, -1), auth=(a.user, a.password), verify=verify).raise_for_status()
        res["rest_caddy_ms"] = timed(n, lambda i: s.post(a.url + path, json=body(run_rest, i), auth=(a.user, a.password),
                                                         verify=verify).raise_for_status())
    with requests.Session() as s:
        s.post(a.direct + path, json=body(run_direct, -1)).raise_for_status()
        res["rest_direct_ms"] = timed(n, lambda i: s.post(a.direct + path, json=body(run_direct, i)).raise_for_status())

    # The server's own app in this process, with the environment its main process has: the whole
    # ASGI app called directly (no uvicorn, no socket), then only its Flask app (no FastAPI, no WSGI
    # bridge, no worker thread), this one also under cProfile for where its time goes.
    res.update(in_process_app(n, path, lambda i, run: body(run, i), run_asgi, run_flask))

    # MLflow's store in this process, its statements recorded call by call.
    store = SqlAlchemyStore(uri, "s3://bench-floor-unused")
    calls = []

    def record(conn, cursor, statement, parameters, context, executemany):
        calls[-1].append((statement, parameters, executemany))

    event.listen(store.engine, "before_cursor_execute", record)

    def store_call(i):
        calls.append([])
        store.log_metric(run_store, Metric("floor", float(i), base + i, i))

    store_call(-1)
    calls.clear()
    res["store_ms"] = timed(n, store_call)
    event.remove(store.engine, "before_cursor_execute", record)
    res["get_run_store_ms"] = timed(n, lambda i: store.get_run(run_store))
    res["statements_per_call"] = statistics.median(len(call) for call in calls)
    res["statements"] = [statement.split()[0] + " " + " ".join(statement.split()[1:6]) for statement, _, _ in calls[-1]]

    # The same statements through the driver, on a run of their own: MLflow's run id swapped for it.
    def swap(value):
        return run_sql if value == run_store else value

    def swap_params(params):
        if isinstance(params, dict):
            return {k: swap(v) for k, v in params.items()}
        if isinstance(params, (list, tuple)) and params and isinstance(params[0], (list, tuple, dict)):
            return [swap_params(p) for p in params]
        return type(params)(swap(v) for v in params) if params else params

    url = sqlalchemy.engine.make_url(uri)
    import pymysql

    connect = {"user": url.username, "password": url.password or "", "database": url.database,
               "charset": url.query.get("charset", "utf8mb4")}
    if url.query.get("unix_socket"):
        connect["unix_socket"] = url.query["unix_socket"]
    else:
        connect.update(host=url.host or "localhost", port=url.port or 3306)
    conn = pymysql.connect(**connect)
    cur = conn.cursor()

    def replay(i):
        for statement, params, many in calls[i]:
            (cur.executemany if many else cur.execute)(statement, swap_params(params))
            cur.fetchall()
        conn.commit()

    res["sql_pymysql_ms"] = timed(len(calls), replay)
    res["select1_ms"] = timed(n, lambda i: (cur.execute("SELECT 1"), cur.fetchall()))
    res["commit_ms"] = timed(n, lambda i: conn.commit())
    conn.close()

    # One authenticated HTTPS round trip through Caddy to an endpoint that only answers.
    with requests.Session() as s:
        s.post(a.floor_url + path, json=body(run_rest, -1), auth=(a.user, a.password), verify=a.floor_cacert or True).raise_for_status()
        res["https_floor_ms"] = timed(n, lambda i: s.post(a.floor_url + path, json=body(run_rest, i), auth=(a.user, a.password),
                                                          verify=a.floor_cacert or True).raise_for_status())
    res["floor_ms"] = res["sql_pymysql_ms"] + res["https_floor_ms"]
    res["share_of_floor"] = res["floor_ms"] / res["client_ms"]
    # Where the client's call goes (ms, by difference of the medians above).
    res["profile_ms"] = {
        "client (MLflow's client code)": res["client_ms"] - res["rest_caddy_ms"],
        "Caddy (TLS, basic auth, proxying)": res["rest_caddy_ms"] - res["rest_direct_ms"],
        "uvicorn and the loopback socket (HTTP parsing, event loop)": res["rest_direct_ms"] - res["asgi_ms"],
        "ASGI layers (FastAPI's middlewares, the WSGI bridge, its thread)": res["asgi_ms"] - res["flask_ms"],
        "Flask and MLflow's handler (routing, validation, protobuf)": res["flask_ms"] - res["store_ms"],
        "MLflow's store code (ORM)": res["store_ms"] - res["sql_pymysql_ms"],
        "driver round trips": res["statements_per_call"] * res["select1_ms"] + res["commit_ms"],
        "database (statements, commit's flush)": res["sql_pymysql_ms"] - res["statements_per_call"] * res["select1_ms"] - res["commit_ms"],
    }
    c.delete_experiment(exp)
    return res


def served_app(pid):
    """The ASGI app the server's main process (uvicorn) runs: its `module:name` argument, called
    first where uvicorn has --factory."""
    import importlib

    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = [arg.decode() for arg in f.read().split(b"\0") if arg]
    target = next(arg for arg in argv if re.fullmatch(r"[\w.]+:\w+", arg))
    module, name = target.split(":")
    app = getattr(importlib.import_module(module), name)
    return app() if "--factory" in argv else app


def in_process_app(n, path, body, run_asgi, run_flask):
    """asgi_ms and flask_ms: one log_metric through the ASGI app the server runs, and through its Flask app
    alone, in this process (the environment of the server's main process; Prometheus's files in a
    directory of this process's); flask_hot: the functions the Flask calls spend most time in."""
    import asyncio
    import cProfile
    import pstats
    import subprocess

    pid = subprocess.run(["systemctl", "show", "-P", "MainPID", "mlflow"], capture_output=True, text=True).stdout.strip()
    with open(f"/proc/{pid}/environ", "rb") as f:
        server = dict(item.decode().split("=", 1) for item in f.read().split(b"\0") if b"=" in item)
    os.environ.update({k: v for k, v in server.items() if k.startswith(("_MLFLOW_", "MLFLOW_", "AWS_"))})
    if "prometheus_multiproc_dir" in server and os.environ.get("BENCH_NO_PROMETHEUS") != "1":
        os.environ["prometheus_multiproc_dir"] = tempfile.mkdtemp(prefix="bench-floor-prometheus-")
    from werkzeug.test import EnvironBuilder

    from mlflow.server import app as flask_app

    asgi_app = served_app(pid)

    headers = {"Host": "127.0.0.1:5000", "Content-Type": "application/json"}
    loop = asyncio.new_event_loop()

    async def asgi_call(i):
        payload = json.dumps(body(i, run_asgi)).encode()
        done, status = asyncio.Event(), []

        async def receive():
            if not status:
                status.append(None)
                return {"type": "http.request", "body": payload, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif not message.get("more_body"):
                done.set()

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in dict(headers, **{"Content-Length": str(len(payload))}).items()],
                 "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 5000)}
        await asgi_app(scope, receive, send)
        assert status[-1] == 200, status

    def flask_call(i):
        environ = EnvironBuilder(path=path, method="POST", json=body(i, run_flask), headers={"Host": headers["Host"]}).get_environ()
        status = []
        b"".join(flask_app.wsgi_app(environ, lambda s, h, exc_info=None: status.append(s)))
        assert status[0].startswith("200"), status

    out = {}
    loop.run_until_complete(asgi_call(-1))
    out["asgi_ms"] = timed(n, lambda i: loop.run_until_complete(asgi_call(i)))
    loop.close()
    flask_call(-2)
    out["flask_ms"] = timed(n, flask_call)
    profile = cProfile.Profile()
    profile.runcall(lambda: [flask_call(n + i) for i in range(n)])
    stats = pstats.Stats(profile).stats
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    out["flask_hot"] = [{"function": f"{file.split('site-packages/')[-1]}:{line} {name}",
                         "own_ms_per_call": tottime * 1000 / n, "with_callees_ms_per_call": cumtime * 1000 / n}
                        for (file, line, name), (_, _, tottime, cumtime, _) in top]
    return out


def _load_worker(a, role, index, run_id, barrier, results):
    """One client process of `load`: log_metric (or an artifact upload) in a loop until the end."""
    from mlflow.tracking import MlflowClient
    from mlflow.utils import request_utils

    # The parent's HTTP sessions (and their sockets) are not this process's.
    request_utils._cached_get_request_session.cache_clear()
    c = MlflowClient(tracking_uri=a.url)
    payload = payload_of(a.mb) if role == "upload" else None
    lat, errors, samples, moved = [], 0, [], 0
    barrier.wait()
    end = time.perf_counter() + a.seconds
    cpu = os.times()
    i = 0
    while time.perf_counter() < end:
        t = time.perf_counter()
        try:
            if role == "upload":
                c.log_artifact(run_id, payload, artifact_path=f"load-{index}-{i}")
                moved += a.mb
            else:
                c.log_metric(run_id, "load", float(i), step=i)
            lat.append(time.perf_counter() - t)
        except Exception as err:  # noqa: BLE001 - every failure is counted and a few are shown
            errors += 1
            if len(samples) < 3:
                samples.append(str(err)[:300])
        i += 1
    now = os.times()
    results.put({"role": role, "lat": lat, "errors": errors, "samples": samples, "mb": moved,
                 "cpu_s": now.user + now.system - cpu.user - cpu.system})


def load(a):
    """--procs client processes logging metrics one call at a time, beside --uploaders processes
    logging --mb MiB artifacts, for --seconds, all started at once (forked from this process, which
    has imported the client): aggregate calls per second, latency percentiles, errors (the client's
    retries off, so every failed call counts), and the peak RSS of --units meanwhile."""
    import multiprocessing

    c = tracking_client(a, retries=False)
    exp = c.create_experiment(f"bench-load-{a.label}-{uuid.uuid4().hex[:8]}")
    runs = [c.create_run(exp).info.run_id for _ in range(a.procs + a.uploaders)]
    if a.uploaders:
        payload_of(a.mb)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(a.procs + a.uploaders + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_load_worker, args=(a, "upload" if i >= a.procs else "metric", i, runs[i], barrier, results))
             for i in range(a.procs + a.uploaders)]
    for p in procs:
        p.start()
    sampler = RssSampler(a.units.split(",")) if a.units else None
    rss_before = unit_rss(a.units.split(",")) if a.units else {}
    barrier.wait()
    if sampler:
        sampler.start()
    started = time.perf_counter()
    units = a.units.split(",") if a.units else []
    cpu_before, machine_before = unit_cpu(units), machine_cpu()
    got = [results.get(timeout=a.seconds + 600) for _ in procs]
    elapsed = time.perf_counter() - started
    cpu_after, machine_after = unit_cpu(units), machine_cpu()
    for p in procs:
        p.join()
    if sampler:
        sampler.stop.set()
        sampler.join()
    metric = [r for r in got if r["role"] == "metric"]
    upload = [r for r in got if r["role"] == "upload"]
    lat = sorted(x for r in metric for x in r["lat"])

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else None

    for run in runs[a.procs:]:
        delete_artifacts(c, run)
    res = {"procs": a.procs, "uploaders": a.uploaders, "seconds": elapsed, "calls": len(lat),
           "calls_per_s": len(lat) / elapsed, "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
           "errors": sum(r["errors"] for r in metric), "error_samples": [s for r in got for s in r["samples"]][:5],
           "upload_errors": sum(r["errors"] for r in upload), "upload_mbps": sum(r["mb"] for r in upload) / elapsed,
           # Where the machine's CPU went meanwhile: each unit's cgroup, the client processes, and
           # how many of the machine's cores were busy on average (everything on it counted).
           "cpu_s": {u: cpu_after[u] - cpu_before[u] for u in cpu_after},
           "clients_cpu_s": {"metric": sum(r["cpu_s"] for r in metric), "upload": sum(r["cpu_s"] for r in upload)},
           "cores_busy": (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1]) * os.cpu_count(),
           "cores": os.cpu_count()}
    if sampler:
        res["rss_before"] = rss_before
        res["peak_rss"] = sampler.peak
        res["peak_rss_total"] = sampler.peak_total
    try:
        c.delete_experiment(exp)
    except Exception as err:  # noqa: BLE001
        res["cleanup_error"] = str(err)[:200]
    return res


# How cost grows with the data: one experiment grown to each size in turn, its rows written straight
# into the server's database through MLflow's own table definitions (100k runs through the API would
# take longer than the rest of the benchmark), then the same reads through each deployment.
SCALE_TABLES = ("metrics", "latest_metrics", "params", "tags")


def _scale_tables():
    import sqlalchemy
    from mlflow.store.tracking.dbmodels import models

    engine = sqlalchemy.create_engine(server_env()["MLFLOW_BACKEND_STORE_URI"])
    return engine, {t.__tablename__: t.__table__ for t in (models.SqlRun, models.SqlMetric, models.SqlLatestMetric,
                                                             models.SqlParam, models.SqlTag)}


def scale_data(a):
    """--experiment NAME made through a.url if missing; --points P,...: a run of its own for each P with
    a history of P points of the metric `loss` (made once); --size N: runs added until the experiment
    holds N besides those, each with the metric `loss`, the param `lr` and a tag; --drop: the
    experiment and all its rows removed. Prints the experiment's id, its run count and the history runs."""
    import sqlalchemy

    c = tracking_client(a)
    engine, t = _scale_tables()
    exp = c.get_experiment_by_name(a.experiment)
    if a.drop:
        if exp is None:
            return {"dropped": False}
        runs_of = sqlalchemy.select(t["runs"].c.run_uuid).where(t["runs"].c.experiment_id == int(exp.experiment_id))
        with engine.begin() as conn:
            for name in SCALE_TABLES:
                conn.execute(t[name].delete().where(t[name].c.run_uuid.in_(runs_of.scalar_subquery())))
            conn.execute(t["runs"].delete().where(t["runs"].c.experiment_id == int(exp.experiment_id)))
            for table in ("experiment_tags", "experiments"):
                conn.execute(sqlalchemy.text(f"DELETE FROM {table} WHERE experiment_id = :e"), {"e": int(exp.experiment_id)})
        return {"dropped": True}
    exp_id = exp.experiment_id if exp else c.create_experiment(a.experiment)
    location = c.get_experiment(exp_id).artifact_location
    now = int(time.time() * 1000)

    def insert_runs(conn, count, prefix, history=0):
        """count runs, each with one `loss` (or a history of `history` points of it), `lr` and a tag."""
        made = []
        for start in range(0, count, 5000):
            runs, metrics, latest, params, tags = [], [], [], [], []
            for i in range(start, min(count, start + 5000)):
                rid = uuid.uuid4().hex
                made.append(rid)
                loss = int(rid[:4], 16) / 65536
                runs.append({"run_uuid": rid, "name": f"{prefix}-{i}", "source_type": "LOCAL", "source_name": "bench",
                             "entry_point_name": "", "user_id": "bench", "status": "FINISHED", "start_time": now + i,
                             "end_time": now + i + 1, "source_version": "", "lifecycle_stage": "active",
                             "artifact_uri": f"{location}/{rid}/artifacts", "experiment_id": int(exp_id)})
                steps = range(history) if history else (0,)
                metrics += [{"key": "loss", "value": loss / (s + 1), "timestamp": now + s, "step": s, "is_nan": False,
                             "run_uuid": rid} for s in steps]
                latest.append({"key": "loss", "value": loss / len(steps), "timestamp": now + len(steps) - 1,
                               "step": len(steps) - 1, "is_nan": False, "run_uuid": rid})
                params.append({"key": "lr", "value": ("0.01", "0.1")[i % 2], "run_uuid": rid})
                tags.append({"key": "mlflow.runName", "value": f"{prefix}-{i}", "run_uuid": rid})
            conn.execute(t["runs"].insert(), runs)
            for name, rows in (("latest_metrics", latest), ("params", params), ("tags", tags)):
                conn.execute(t[name].insert(), rows)
            for chunk in range(0, len(metrics), 20000):
                conn.execute(t["metrics"].insert(), metrics[chunk:chunk + 20000])
        return made

    histories = {}
    with engine.begin() as conn:
        tags = t["tags"]
        of_experiment = sqlalchemy.select(t["runs"].c.run_uuid).where(t["runs"].c.experiment_id == int(exp_id))
        for rid, points in conn.execute(sqlalchemy.select(tags.c.run_uuid, tags.c.value).where(
                tags.c.key == "history", tags.c.run_uuid.in_(of_experiment.scalar_subquery()))):
            histories[points] = rid
        for points in [p for p in a.points.split(",") if p and p not in histories]:
            rid = insert_runs(conn, 1, f"history-{points}", history=int(points))[0]
            conn.execute(t["tags"].insert(), [{"key": "history", "value": points, "run_uuid": rid}])
            histories[points] = rid
        held = conn.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(t["runs"])
                            .where(t["runs"].c.experiment_id == int(exp_id))).scalar() - len(histories)
        t0 = time.perf_counter()
        if a.size > held:
            insert_runs(conn, a.size - held, f"r{held}")
    return {"experiment_id": exp_id, "runs": max(a.size, held), "added_s": time.perf_counter() - t0, "histories": histories}


def scale(a):
    """The reads whose cost may grow with the data, through a.url, each the median of a.reps calls (ms):
    search_runs' first page of 100 (the UI's default order), the same with a filter on a metric and a
    param ordered by the metric, and get_metric_history of each history run (--histories POINTS=RUN,...)."""
    c = tracking_client(a)
    exp_id = c.get_experiment_by_name(a.experiment).experiment_id
    where = "metrics.loss < 0.5 and params.lr = '0.01'"

    def page():
        assert len(c.search_runs([exp_id], max_results=100)) == 100

    def filtered():
        found = c.search_runs([exp_id], filter_string=where, order_by=["metrics.loss ASC"], max_results=100)
        assert found and all(r.data.metrics["loss"] < 0.5 for r in found), len(found)

    res = {"search_runs_ms": timed(a.reps, lambda i: page()), "search_filtered_ms": timed(a.reps, lambda i: filtered()),
           "history_ms": {}}
    for item in filter(None, a.histories.split(",")):
        points, run_id = item.split("=")

        def history():
            assert len(c.get_metric_history(run_id, "loss")) == int(points)

        res["history_ms"][points] = timed(a.reps, lambda i: history())
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["http", "mlflow", "artifacts", "s3", "quickack", "floor", "load", "scale-data", "scale"])
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
    p.add_argument("--direct", default="http://127.0.0.1:5000", help="floor: the tracking server without its proxy")
    p.add_argument("--floor-url", default="", help="floor: an HTTPS endpoint behind Caddy's basic auth that only answers")
    p.add_argument("--floor-cacert", default="")
    p.add_argument("--procs", type=int, default=16, help="load: client processes logging metrics")
    p.add_argument("--uploaders", type=int, default=0, help="load: client processes uploading --mb artifacts")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--experiment", default="bench-scale", help="scale, scale-data: the experiment grown to each size")
    p.add_argument("--size", type=int, default=0, help="scale-data: runs the experiment holds (besides the history runs)")
    p.add_argument("--points", default="", help="scale-data: comma-separated lengths of metric histories to make")
    p.add_argument("--drop", action="store_true", help="scale-data: remove the experiment and its rows")
    p.add_argument("--histories", default="", help="scale: POINTS=RUN_ID,... the history runs to read")
    a = p.parse_args()
    fn = {"http": http_rates, "mlflow": mlflow_bench, "artifacts": artifacts_bench, "s3": s3_bench, "quickack": quickack,
          "floor": floor, "load": load, "scale-data": scale_data, "scale": scale}[a.mode]
    result = fn(a)
    # MLflow may print to stdout too: the result is the line after the marker.
    print("\n@@BENCH-RESULT@@\n" + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
