#!/usr/bin/env python3
"""`make bench` / `make bench-short`: our deployment against the naive one, on the lab host.

On the one lab host (container mlflow-lab, `harness/lab.sh up` if it is not up) this starts
(a) the naive deployment as transient units: stock `mlflow server` with its defaults from the
    role's venv on 127.0.0.1:5001 (same backend store URI and artifact destination as ours,
    read from /etc/mlflow/mlflow.env and the mlflow unit) behind a stock Caddy `reverse_proxy`
    on :8081, plain HTTP, basic auth with the same bcrypt hash as ours;
(b) and measures it side by side with our deployment (Caddy HTTPS on 443 -> mlflow unit);
(c) for the stores, SeaweedFS beside MinIO: a transient `weed server` with the seaweedfs role's
    options (roles/seaweedfs/vars/main.yml) on ports of its own, a second tracking server with our
    unit's command line on 127.0.0.1:5003 whose artifacts go there, and one transient Caddy with an
    HTTPS site in front of each of our two servers (MinIO's on 8444, SeaweedFS's on 8445): the same
    artifact moves through both in turn, and boto3 moves it straight to each store.
All client measurements run inside the host with the venv python (benchmarks/bench_client.py),
so both paths are measured by the same client over loopback. The naive units are stopped at
the end; our deployment is not touched.

    bench.py [--short] [--[no-]provision] [--reps N] [--naive-today]

Full mode also converges two new hosts of its own for the provisioning figures (benchmarks/provision.py).

Results: benchmarks/results/<timestamp>.json, latest.json, <timestamp>.png, latest.png.
Full mode exits 1 when a target is missed (short mode asserts nothing).
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import time

import provision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "mlflow-lab"
RESULTS = os.path.join(ROOT, "benchmarks", "results")
CREDS = os.path.join(ROOT, "inventories", "lab", "credentials")
VPY = "/opt/mlflow/venv/bin/python"
REMOTE = "/tmp/filament-bench"
NAIVE_MLFLOW, NAIVE_CADDY, NAIVE_NODELAY = "bench-naive-mlflow", "bench-naive-caddy", "bench-naive-mlflow-nodelay"
NAIVE_VENV = "/var/tmp/filament-bench-naive"
# The store comparison: SeaweedFS beside MinIO (ports clear of the stack's, the naive units' and
# the role's defaults), our server on it, and an HTTPS front for each of our two servers.
WEED_DIR = "/var/lib/filament-bench-seaweedfs"
WEED_UNIT, WEED_SERVER, STORES_CADDY = "bench-seaweedfs", "bench-ours-seaweedfs", "bench-stores-caddy"
WEED_PORTS = {"seaweedfs_master_port": 9335, "seaweedfs_volume_port": 8091, "seaweedfs_filer_port": 8889,
              "seaweedfs_s3_port": 8334}
WEED_SERVER_PORT, FRONTS = 5003, {"minio": (8444, 5000), "seaweedfs": (8445, 5003)}
# The floor of one call: an HTTPS site behind the same basic auth that only answers.
FLOOR_UNIT, FLOOR_DIR, FLOOR_PORT = "bench-floor-caddy", "/var/lib/filament-bench-floor", 8446
GiB = 1 << 30
# How cost grows with the data: the experiment bench_client.py grows to each size (removed after).
SCALE_EXPERIMENT = "bench-scale"
NAIVE_TODAY = False  # --naive-today: the naive side as the index resolves it today, not its lock


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def dexec(*args, check=True, env=None, stdin=None):
    options = [f"--env={name}={value}" for name, value in (env or {}).items()] + (["-i"] if stdin is not None else [])
    return run(["docker", "exec", *options, HOST, *args], check=check, input=stdin)


def dsh(script, check=True):
    return dexec("sh", "-c", script, check=check)


def lab_healthy():
    r = run(["docker", "inspect", "-f", "{{.State.Running}}", HOST], check=False)
    if r.stdout.strip() != "true":
        return False
    return dsh("systemctl is-active --quiet mlflow caddy mariadb minio", check=False).returncode == 0


def lab_up():
    log("lab is not up: harness/lab.sh up")
    t0 = time.time()
    subprocess.run([os.path.join(ROOT, "harness", "lab.sh"), "up"], check=True, stdout=sys.stderr)
    return time.time() - t0


def remote_setup():
    dsh(f"rm -rf {REMOTE} && mkdir -p {REMOTE}")
    run(["docker", "cp", os.path.join(ROOT, "benchmarks", "bench_client.py"), f"{HOST}:{REMOTE}/bench_client.py"])
    run(["docker", "cp", os.path.join(CREDS, "caddy-root.crt"), f"{HOST}:{REMOTE}/caddy-root.crt"])


def naive_venv():
    """The naive server's virtualenv: `pip install mlflow==<our version> pymysql boto3` as resolved on
    the date of benchmarks/naive/requirements-<version>.txt (benchmarks/naive/README.md), or as the
    index resolves it today (bench.py --naive-today). Kept on the lab host between runs; made with uv."""
    version = dexec(VPY, "-c", "import importlib.metadata as m; print(m.version('mlflow'))").stdout.strip()
    lock = os.path.join(ROOT, "benchmarks", "naive", f"requirements-{version}.txt")
    today = NAIVE_TODAY
    if today:
        wanted, source = f"{version} today {datetime.date.today()}", f"mlflow=={version} pymysql boto3"
    elif os.path.exists(lock):
        wanted, source = f"{version} lock {hashlib.sha256(open(lock, 'rb').read()).hexdigest()[:12]}", f"-r {REMOTE}-naive.txt"
    else:
        raise SystemExit(f"no lock of the naive side for MLflow {version}: make {os.path.relpath(lock, ROOT)} "
                         "as benchmarks/naive/README.md shows, or run with --naive-today")
    stamp = f"{NAIVE_VENV}/filament-bench-version"
    if dexec("cat", stamp, check=False).stdout.strip() == wanted:
        return f"{NAIVE_VENV}/bin/mlflow"
    log(f"making the stock virtualenv of the naive server ({'today' if today else os.path.relpath(lock, ROOT)})")
    if not today:
        run(["docker", "cp", lock, f"{HOST}:{REMOTE}-naive.txt"])
    ca = "/opt/mlflow/package-ca-bundle.pem"
    env = f"[ -f {ca} ] && export SSL_CERT_FILE={ca}; export UV_NO_CACHE=1;"
    r = dsh(f"""{env} rm -rf {NAIVE_VENV} && /opt/mlflow/venv/bin/uv venv -q --python /usr/bin/python3 {NAIVE_VENV} \
        && /opt/mlflow/venv/bin/uv pip install -q --python {NAIVE_VENV}/bin/python {source} \
        && echo '{wanted}' > {stamp} && chmod -R a+rX {NAIVE_VENV}""", check=False)
    if r.returncode != 0:
        raise SystemExit(f"could not make the naive virtualenv:\n{r.stderr[-2000:]}")
    return f"{NAIVE_VENV}/bin/mlflow"


def basic_auth_hash():
    """The bcrypt hash our Caddy checks the user filament with."""
    caddyfile = dexec("cat", "/etc/caddy/Caddyfile").stdout
    return re.search(r'^\s*"filament"\s+(\S+)\s*$', caddyfile, re.M).group(1)


def start_naive():
    """The naive deployment as transient units (stock defaults; only host/port/stores given)."""
    stop_naive()
    mlflow = naive_venv()
    unit = dexec("cat", "/etc/systemd/system/mlflow.service").stdout
    dest = re.search(r'--(?:artifacts-destination|default-artifact-root)\s+"?([^"\s\\]+)', unit).group(1)
    env_names = [l.split("=", 1)[0] for l in dexec("cat", "/etc/mlflow/mlflow.env").stdout.splitlines() if "=" in l and not l.startswith("#")]
    hashline = basic_auth_hash()
    dsh(f"""cat > {REMOTE}/Caddyfile <<'EOF'
{{
	admin off
	auto_https off
}}
:8081 {{
	basicauth {{
		filament {hashline}
	}}
	reverse_proxy 127.0.0.1:5001
}}
EOF""")
    # The backend store URI comes from the environment file (MLFLOW_BACKEND_STORE_URI, which
    # `mlflow server` reads itself), as in our unit; nothing else differs from the defaults.
    assert "MLFLOW_BACKEND_STORE_URI" in env_names, env_names
    dexec("systemd-run", f"--unit={NAIVE_MLFLOW}", "-p", "EnvironmentFile=/etc/mlflow/mlflow.env",
          "-p", "User=mlflow", "-p", "Group=mlflow", "-p", "WorkingDirectory=/tmp", "--setenv=HOME=/tmp",
          mlflow, "server", "--host", "127.0.0.1", "--port", "5001",
          "--artifacts-destination", dest)
    dexec("systemd-run", f"--unit={NAIVE_CADDY}", "/usr/bin/caddy", "run", "--config", f"{REMOTE}/Caddyfile", "--adapter", "caddyfile")
    wait_http("http://localhost:5001/health")
    return dest


def start_nodelay_variant(extra):
    """A second stock server on 5002 with extra options (the 40 ms stall experiment)."""
    dexec("systemd-run", f"--unit={NAIVE_NODELAY}", "-p", "EnvironmentFile=/etc/mlflow/mlflow.env",
          "-p", "User=mlflow", "-p", "Group=mlflow", "-p", "WorkingDirectory=/tmp", "--setenv=HOME=/tmp",
          naive_venv(), "server", "--host", "127.0.0.1", "--port", "5002", *extra)
    wait_http("http://localhost:5002/health", timeout=90)


def seaweedfs_args(bucket_config):
    """`weed server`'s options as the seaweedfs role gives them (its __seaweedfs_args, rendered with
    one host's values), on the bench's ports and directory."""
    import jinja2
    import yaml

    role = os.path.join(ROOT, "roles", "seaweedfs")
    values = yaml.safe_load(open(os.path.join(role, "defaults", "main.yml")))
    template = yaml.safe_load(open(os.path.join(role, "vars", "main.yml")))["__seaweedfs_args"]
    values.update(WEED_PORTS, seaweedfs_dir=f"{WEED_DIR}/data", seaweedfs_address="127.0.0.1",
                  seaweedfs_masters=[], __seaweedfs_runs_master="true",
                  __seaweedfs_replication="000", __seaweedfs_identities=bucket_config)
    return shlex.split(jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(template).render(values))


def start_seaweedfs_side(bucket, hashline):
    """SeaweedFS beside MinIO, our server on it (5003), and an HTTPS front for each of our servers.
    Returns the front's CA file on the host and SeaweedFS's S3 endpoint and MLflow key, or None when
    the harness gave no weed binary (FILAMENT_WEED_BINARY)."""
    weed = os.environ.get("FILAMENT_WEED_BINARY", "")
    if not os.path.isfile(weed):
        log("no weed binary (FILAMENT_WEED_BINARY): the store comparison is not measured")
        return None
    stop_seaweedfs_side()
    dsh(f"mkdir -p {WEED_DIR}/data && chmod 0700 {WEED_DIR}")
    run(["docker", "cp", weed, f"{HOST}:{WEED_DIR}/weed"])
    admin = {"accessKey": "bench-admin", "secretKey": secrets.token_hex(20)}
    mlflow = {"accessKey": "bench-mlflow", "secretKey": secrets.token_hex(20)}
    identities = {"identities": [
        {"name": "admin", "credentials": [admin], "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "mlflow", "credentials": [mlflow],
         "actions": [f"{action}:{bucket}" for action in ("Read", "List", "Write", "Tagging")]}]}
    dexec("sh", "-c", f"umask 077 && cat > {WEED_DIR}/s3.json", stdin=json.dumps(identities))
    dexec("systemd-run", f"--unit={WEED_UNIT}", f"{WEED_DIR}/weed", "server", *seaweedfs_args(f"{WEED_DIR}/s3.json"))
    endpoint = f"http://127.0.0.1:{WEED_PORTS['seaweedfs_s3_port']}"
    make_bucket = """
import os, sys, time, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id=os.environ["KEY"], aws_secret_access_key=os.environ["SECRET"])
for attempt in range(120):
    try:
        if sys.argv[2] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket=sys.argv[2])
        # The first write makes SeaweedFS grow its volumes: done here, not in a measurement.
        s3.put_object(Bucket=sys.argv[2], Key="bench-warm-up", Body=os.urandom(1 << 20))
        s3.delete_object(Bucket=sys.argv[2], Key="bench-warm-up")
        break
    except Exception:
        time.sleep(0.5)
else:
    raise SystemExit("SeaweedFS did not take the bucket")
"""
    dexec(VPY, "-c", make_bucket, endpoint, bucket, env={"KEY": admin["accessKey"], "SECRET": admin["secretKey"]})
    # Our server's environment with SeaweedFS's endpoint and MLflow's key there; its command line is
    # our unit's, on another port, without the metrics directory our server owns.
    lines = [line for line in dexec("cat", "/etc/mlflow/mlflow.env").stdout.splitlines()
             if not line.startswith(("MLFLOW_S3_ENDPOINT_URL=", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="))]
    lines += [f"MLFLOW_S3_ENDPOINT_URL={endpoint}", f"AWS_ACCESS_KEY_ID={mlflow['accessKey']}",
              f"AWS_SECRET_ACCESS_KEY={mlflow['secretKey']}"]
    dexec("sh", "-c", f"umask 077 && cat > {WEED_DIR}/mlflow.env", stdin="\n".join(lines) + "\n")
    unit = dexec("cat", "/etc/systemd/system/mlflow.service").stdout
    argv = shlex.split(re.search(r"^ExecStart=((?:.*\\\n)*.*)$", unit, re.M).group(1).replace("\\\n", " "))
    argv[argv.index("--port") + 1] = str(WEED_SERVER_PORT)
    if "--expose-prometheus" in argv:
        del argv[argv.index("--expose-prometheus"):argv.index("--expose-prometheus") + 2]
    dexec("systemd-run", f"--unit={WEED_SERVER}", "-p", f"EnvironmentFile={WEED_DIR}/mlflow.env",
          "-p", "User=mlflow", "-p", "Group=mlflow", "-p", "WorkingDirectory=/tmp", "--setenv=HOME=/tmp", *argv)
    stores = {"minio": "127.0.0.1:9000", "seaweedfs": endpoint.split("://", 1)[1]}
    snippets, fronts = "", {}
    for name, (port, upstream) in FRONTS.items():
        snippet, answer = store_downloads(stores[name], f"presigned_store_{name}")
        snippets += snippet
        fronts[port] = f"reverse_proxy 127.0.0.1:{upstream} {{\n{answer}\t}}" if answer else f"reverse_proxy 127.0.0.1:{upstream}"
    ca = https_fronts(STORES_CADDY, f"{WEED_DIR}/caddy", hashline, fronts, snippets)
    wait_http(f"http://localhost:{WEED_SERVER_PORT}/health")
    return {"cacert": ca, "endpoint": endpoint, "key": mlflow}


def store_downloads(store, name):
    """The lab's own Caddy directives that answer a download from the store where our server hands
    it there (server_presigned_through_proxy), read from its Caddyfile, for the store at `store`:
    (the snippet, renamed `name`; the handle_response block that imports it). Both empty where the
    lab has none."""
    text = dexec("cat", "/etc/caddy/Caddyfile").stdout
    snippet = re.search(r"^\(presigned_store\) \{\n.*?^\}\n", text, re.M | re.S)
    answer = re.search(r"^\t+@store_download .*?^\t+handle_response @store_download \{\n.*?^\t+\}\n", text, re.M | re.S)
    if not snippet or not answer:
        return "", ""
    lab_store = re.search(r"reverse_proxy (\S+) \{", snippet.group(0)).group(1)
    return (snippet.group(0).replace("(presigned_store)", f"({name})").replace(lab_store, store),
            answer.group(0).replace("import presigned_store", f"import {name}"))


def stop_seaweedfs_side():
    for u in (STORES_CADDY, WEED_SERVER, WEED_UNIT):
        dexec("systemctl", "stop", u, check=False)
        dexec("systemctl", "reset-failed", u, check=False)
    dsh(f"rm -rf {WEED_DIR}", check=False)


def stores_comparison(side, pw, mb, reps):
    """The same artifact through our server on MinIO and on SeaweedFS (each behind its own HTTPS front),
    alternating, rep by rep; then boto3 straight to SeaweedFS with MLflow's key there."""
    found = {"minio": {"upload_mbps": [], "download_mbps": []}, "seaweedfs": {"upload_mbps": [], "download_mbps": []}}
    for rep in range(reps):
        for name, (port, _) in FRONTS.items():
            log(f"stores rep {rep + 1}/{reps}: {mb} MB through our server on {name}")
            got = client("artifacts", "--url", f"https://localhost:{port}", "--cacert", side["cacert"], "--user", "filament",
                         "--password", pw, "--mb", str(mb), "--reps", "1", "--label", name)
            for figure in found[name]:
                found[name][figure] += got[figure]
    log("boto3 straight to SeaweedFS")
    found["seaweedfs_s3"] = client("s3", "--endpoint", side["endpoint"], "--mb", str(mb), "--reps", str(reps),
                                   env={"BENCH_S3_KEY": side["key"]["accessKey"], "BENCH_S3_SECRET": side["key"]["secretKey"]})
    return found


def https_fronts(unit, directory, hashline, sites, snippets=""):
    """A transient Caddy (unit) with one HTTPS site per port of sites ({port: directive}), each behind
    our basic auth, its local CA and state in directory, and the snippets they import. Returns the CA
    file on the host, once made."""
    dsh(f"mkdir -p {directory} && chmod 0700 {directory}")
    blocks = "\n".join(f"""https://localhost:{port} {{
	basicauth {{
		filament {hashline}
	}}
	{directive}
}}""" for port, directive in sites.items())
    dexec("sh", "-c", f"cat > {directory}/Caddyfile", stdin=f"""{{
	admin off
	auto_https disable_redirects
	local_certs
	skip_install_trust
	storage file_system {{
		root {directory}
	}}
}}
{snippets}{blocks}
""")
    dexec("systemd-run", f"--unit={unit}", "/usr/bin/caddy", "run", "--config", f"{directory}/Caddyfile", "--adapter", "caddyfile")
    ca = f"{directory}/pki/authorities/local/root.crt"
    for _ in range(60):
        if dexec("test", "-s", ca, check=False).returncode == 0:
            return ca
        time.sleep(1)
    raise SystemExit(f"{unit} made no CA in 60 s")


def start_floor_front(hashline):
    """An HTTPS site behind our basic auth that answers 200 with nothing behind it: the least an
    authenticated call through Caddy costs. Returns its CA file on the host."""
    stop_floor_front()
    return https_fronts(FLOOR_UNIT, FLOOR_DIR, hashline, {FLOOR_PORT: "respond 200"})


def stop_floor_front():
    dexec("systemctl", "stop", FLOOR_UNIT, check=False)
    dexec("systemctl", "reset-failed", FLOOR_UNIT, check=False)
    dsh(f"rm -rf {FLOOR_DIR}", check=False)


def wait_http(url, timeout=180):
    t0 = time.time()
    while time.time() - t0 < timeout:
        probe = f"import urllib.request as u; u.urlopen({url!r}, timeout=5).read()"
        if dexec(VPY, "-c", probe, check=False).returncode == 0:
            return
        time.sleep(1)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def stop_naive():
    for u in (NAIVE_CADDY, NAIVE_MLFLOW, NAIVE_NODELAY):
        dexec("systemctl", "stop", u, check=False)
        dexec("systemctl", "reset-failed", u, check=False)


def client(*args, env=None):
    r = dexec(VPY, f"{REMOTE}/bench_client.py", *args, check=False, env=env)
    if r.returncode != 0:
        raise SystemExit(f"bench_client {' '.join(args[:2])} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.split("@@BENCH-RESULT@@\n")[-1])


def scaling(common, sides, sizes, points, reps):
    """How cost grows with the data: one experiment grown to each of sizes runs in turn (its rows
    written into the database by bench_client.py scale-data, beside runs with metric histories of
    each of points), the same reads through each deployment at each size; the experiment is removed
    before (a run stopped halfway may have left it) and after."""
    ours = sides["ours"]

    def data(*args):
        return client("scale-data", *common(ours), "--experiment", SCALE_EXPERIMENT, *args)

    out = {"sizes": list(sizes), "points": list(points), "added_s": {}}
    data("--drop")
    try:
        for size in sizes:
            log(f"how cost grows: the experiment grown to {size} runs")
            grown = data("--size", str(size), "--points", ",".join(map(str, points)))
            out["added_s"][str(size)] = round(grown["added_s"], 1)
            histories = ",".join(f"{p}={run}" for p, run in grown["histories"].items())
            for name, d in sides.items():
                out.setdefault(name, {})[str(size)] = client(
                    "scale", *common(d), "--experiment", SCALE_EXPERIMENT, "--histories", histories, "--reps", str(reps))
    finally:
        data("--drop")
    return out


def growth(sc, side):
    """{figure: exponent k of cost ~ size^k from the smallest to the largest size} (1: as fast as the data)."""
    import math

    first, last = sc[side][str(sc["sizes"][0])], sc[side][str(sc["sizes"][-1])]
    out = {figure: math.log(last[figure] / first[figure]) / math.log(sc["sizes"][-1] / sc["sizes"][0])
           for figure in ("search_runs_ms", "search_filtered_ms")}
    lo, hi = str(sc["points"][0]), str(sc["points"][-1])
    out["history_ms"] = math.log(last["history_ms"][hi] / last["history_ms"][lo]) / math.log(sc["points"][-1] / sc["points"][0])
    return out


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="small counts, no targets asserted (~2 min)")
    ap.add_argument("--provision", action=argparse.BooleanOptionalAction, default=None,
                    help="cold converge, re-run and the package floor on new hosts of their own (full mode: on by default)")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--no-stall", action="store_true", help="skip the 40 ms stall experiment")
    ap.add_argument("--naive-today", action="store_true",
                    help="the naive side as the index resolves it today, not benchmarks/naive's lock")
    a = ap.parse_args()
    global NAIVE_TODAY
    NAIVE_TODAY = a.naive_today
    short = a.short
    reps = a.reps or (1 if short else 3)
    n_health, n_metric, n_batch, n_runs, mb = (20, 100, 1000, 100, 5) if short else (200, 200, 1000, 1000, 100)
    # The floor's calls; the concurrent clients (logging metrics), the uploaders beside them, their
    # artifact's size and how long each load lasts.
    n_floor = 30 if short else 300
    # The large artifact: up and down once each way, then one per uploader at once.
    big_mb = 64 if short else 1024
    load_procs, uploaders, load_mb, load_s = ((4, 16), 1, 2, 3) if short else ((16, 64), 4, 10, 20)
    # How cost grows: runs in the experiment, points in a metric history, calls of each read per size.
    scale_sizes, scale_points, scale_reps = ((100, 1000), (100, 1000), 3) if short else ((1000, 10000, 100000), (100, 100000), 5)
    os.makedirs(RESULTS, exist_ok=True)
    t_start = time.time()

    brought_up = None
    if not lab_healthy():
        brought_up = lab_up()
    before = dsh("systemctl show -p ActiveState,MainPID,NRestarts mlflow caddy mariadb minio").stdout

    pw = open(os.path.join(CREDS, "caddy_filament_password")).read().strip()
    remote_setup()
    res = {"mode": "short" if short else "full", "reps": reps, "naive": "today" if a.naive_today else "lock",
           "counts": {"health": n_health, "log_metric": n_metric, "log_batch": n_batch, "search_runs": n_runs, "artifact_mb": mb,
                      "floor": n_floor, "load_procs": list(load_procs), "load_uploaders": uploaders, "load_mb": load_mb,
                      "load_s": load_s, "big_mb": big_mb, "scale_runs": list(scale_sizes), "scale_points": list(scale_points)},
           "lab_brought_up_s": brought_up, "provisioning": {}}
    res["mlflow_version"] = dexec(VPY, "-c", "import mlflow; print(mlflow.__version__)").stdout.strip()
    res["caddy_version"] = dexec("caddy", "version").stdout.split()[0]
    ours = {"url": "https://localhost", "cacert": f"{REMOTE}/caddy-root.crt", "units": "mlflow,caddy,mariadb,minio"}
    naive = {"url": "http://localhost:8081", "cacert": "", "units": f"{NAIVE_MLFLOW},{NAIVE_CADDY},mariadb,minio"}
    try:
        log("starting the naive deployment (transient units)")
        res["artifact_destination"] = start_naive()
        time.sleep(2)

        def common(d):
            return ["--url", d["url"], "--cacert", d["cacert"], "--user", "filament", "--password", pw]

        http = {"naive": [], "ours": [], "naive_direct": [], "ours_direct": []}
        for rep in range(reps):
            for name, d in (("naive", naive), ("ours", ours)):
                log(f"/health rep {rep + 1}/{reps}: {name}")
                http[name].append(client("http", *common(d), "--n", str(n_health)))
        # Diagnostics: the servers without Caddy (plain HTTP on loopback, no auth needed).
        for name, url in (("naive_direct", "http://localhost:5001"), ("ours_direct", "http://localhost:5000")):
            log(f"/health: {name}")
            http[name].append(client("http", "--url", url, "--n", str(n_health)))
        res["health"] = {k: {m: med([r[m] for r in v]) for m in v[0]} for k, v in http.items()}

        ml = {}
        for name, d in (("naive", naive), ("ours", ours)):
            log(f"MLflow client workload ({reps} reps): {name}")
            ml[name] = client("mlflow", *common(d), "--label", name, "--metrics", str(n_metric), "--batch", str(n_batch),
                              "--runs", str(n_runs), "--mb", str(mb), "--reps", str(reps), "--units", d["units"])
        log("boto3 straight to MinIO")
        s3 = client("s3", "--mb", str(mb), "--reps", str(reps))
        res["mlflow_raw"], res["s3_raw"] = ml, s3
        res["mlflow"] = {k: {m: (med(v[m]) if isinstance(v[m], list) else v[m]) for m in v} for k, v in ml.items()}
        res["s3"] = {m: med(v) for m, v in s3.items()}

        log(f"the floor of one log_metric call ({n_floor} calls of each kind)")
        floor_ca = start_floor_front(basic_auth_hash())
        res["floor"] = client("floor", *common(ours), "--floor-url", f"https://localhost:{FLOOR_PORT}",
                              "--floor-cacert", floor_ca, "--n", str(n_floor))
        res["load"] = {}
        for procs in load_procs:
            for name, d in (("naive", naive), ("ours", ours)):
                log(f"{procs} clients logging metrics and {uploaders} uploading {load_mb} MB artifacts, {load_s} s: {name}")
                res["load"][f"{name}_{procs}"] = client(
                    "load", *common(d), "--label", name, "--procs", str(procs), "--uploaders", str(uploaders),
                    "--mb", str(load_mb), "--seconds", str(load_s), "--units", d["units"])

        res["scale"] = scaling(common, {"naive": naive, "ours": ours}, scale_sizes, scale_points, scale_reps)
        res["growth"] = {side: growth(res["scale"], side) for side in ("naive", "ours")}

        log(f"{big_mb} MB artifacts: through our proxy, with boto3 straight to MinIO, then {uploaders} through our proxy at once")
        res["big"] = {"mb": big_mb, "ours": client("artifacts", *common(ours), "--label", "big", "--mb", str(big_mb), "--reps", "1"),
                      "s3": client("s3", "--mb", str(big_mb), "--reps", "1"),
                      "at_once": client("load", *common(ours), "--label", "big", "--procs", "0", "--uploaders", str(uploaders),
                                        "--mb", str(big_mb), "--seconds", "1", "--units", ours["units"])}

        log("SeaweedFS beside MinIO: our server on each store")
        side = start_seaweedfs_side(res["artifact_destination"].split("://", 1)[1].split("/")[0], basic_auth_hash())
        if side:
            res["stores_raw"] = stores_comparison(side, pw, mb, reps)
            res["stores"] = {k: {m: med(v) for m, v in found.items()} for k, found in res["stores_raw"].items()}

        if not a.no_stall:
            res["stall"] = stall_experiment(n_health, short)
    finally:
        log("stopping the naive units and the store comparison's")
        stop_naive()
        stop_seaweedfs_side()
        stop_floor_front()
        dsh(f"rm -rf {REMOTE} {REMOTE}-naive.txt", check=False)
    after = dsh("systemctl show -p ActiveState,MainPID,NRestarts mlflow caddy mariadb minio").stdout
    res["ours_untouched"] = before == after
    if a.provision if a.provision is not None else not short:
        res["provisioning"] = provision.measure(ROOT, log)
    res["elapsed_s"] = round(time.time() - t_start, 1)

    checks = evaluate(res)
    res["targets"] = checks
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    res["timestamp"] = stamp
    out = os.path.join(RESULTS, f"{stamp}.json")
    json.dump(res, open(out, "w"), indent=2)
    shutil.copy(out, os.path.join(RESULTS, "latest.json"))
    png = chart(res, os.path.join(RESULTS, f"{stamp}.png"))
    if png:
        shutil.copy(png, os.path.join(RESULTS, "latest.png"))
    report(res, checks)
    print(f"results: {out}" + (f", chart: {png}" if png else ""))
    missed = [c for c in checks if c["ok"] is False]
    if not short and missed:
        print("TARGETS MISSED: " + "; ".join(f"{c['name']}: {c['value_text']} (target {c['target']})" for c in missed))
        return 1
    return 0


def stall_experiment(n, short):
    """The stock server's keep-alive stall: keep-alive vs new-connection rates, direct and through
    Caddy, and stock uvicorn against the same server with TCP_NODELAY-related options."""
    out = {}
    help_text = dexec(naive_venv(), "server", "--help").stdout
    out["server_has_uvicorn_opts"] = "--uvicorn-opts" in help_text
    out["server_has_gunicorn_opts"] = "--gunicorn-opts" in help_text
    # Stock uvicorn with --workers 1 binds its socket itself (asyncio's create_server), the
    # default (4 workers) shares a pre-bound socket; gunicorn's sync workers close every connection.
    for name, url in (("naive", "http://localhost:5001"), ("ours", "http://localhost:5000")):
        log(f"stall experiment: TCP_QUICKACK client, {name}")
        out[f"quickack {name}"] = client("quickack", "--url", url, "--n", str(max(20, n // 10)))
    variants = [("uvicorn --workers 1", ["--workers", "1"])]
    if out["server_has_gunicorn_opts"]:
        variants.append(("gunicorn (sync)", ["--gunicorn-opts", "--workers 1"]))
    for label, extra in variants:
        log(f"stall experiment: {label}")
        try:
            start_nodelay_variant(extra)
            out[label] = client("http", "--url", "http://localhost:5002", "--n", str(n))
        except (SystemExit, subprocess.CalledProcessError) as e:
            out[label] = {"error": str(e)[-500:]}
        dexec("systemctl", "stop", NAIVE_NODELAY, check=False)
        dexec("systemctl", "reset-failed", NAIVE_NODELAY, check=False)
    return out


def evaluate(res):
    """The targets of docs/performance.md, each with its figure (None: not measured in this run)."""
    h, m, prov = res["health"], res["mlflow"], res["provisioning"]
    floor, load = res.get("floor", {}), res.get("load", {})
    low, high = res["counts"]["load_procs"]
    grows = res.get("growth", {}).get("ours", {})
    runs, points = res["counts"]["scale_runs"], res["counts"]["scale_points"]

    def ratio(x, y):
        return x / y if x is not None and y else None

    big = res.get("big", {"mb": res["counts"]["big_mb"]})

    def first(d, side, figure):
        return d[side][figure][0] if side in d else None

    def of(side, procs, figure):
        return load.get(f"{side}_{procs}", {}).get(figure)

    checks = [
        ("log_metric one at a time, ours/naive", ratio(m["ours"]["log_metric_cps"], m["naive"]["log_metric_cps"]),
         ">= 6x", lambda v: v >= 6, "x"),
        ("log_metric, floor/ours (share of the floor)", floor.get("share_of_floor"), ">= 0.35", lambda v: v >= 0.35, ""),
        ("keep-alive /health ours/naive", ratio(h["ours"]["keepalive_rps"], h["naive"]["keepalive_rps"]), ">= 20x", lambda v: v >= 20, "x"),
        (f"{low} clients: aggregate log_metric ours/naive", ratio(of("ours", low, "calls_per_s"), of("naive", low, "calls_per_s")),
         ">= 3x", lambda v: v >= 3, "x"),
        (f"{low} clients: p99 ours/naive", ratio(of("ours", low, "p99_ms"), of("naive", low, "p99_ms")),
         "<= 0.33", lambda v: v <= 1 / 3, ""),
        (f"{high} clients: errors (ours)", of("ours", high, "errors"), "0", lambda v: v == 0, "n"),
        (f"stack peak RSS, {high} clients (ours)", ratio(of("ours", high, "peak_rss_total"), GiB), "<= 1.0 GiB", lambda v: v <= 1.0, "GiB"),
        (f"{big['mb']} MB proxied upload / boto3", ratio(first(big, "ours", "upload_mbps"), first(big, "s3", "upload_mbps")),
         ">= 0.75x", lambda v: v >= 0.75, "x"),
        (f"{big['mb']} MB proxied download / boto3", ratio(first(big, "ours", "download_mbps"), first(big, "s3", "download_mbps")),
         ">= 0.75x", lambda v: v >= 0.75, "x"),
        (f"search_runs, first page, {runs[0]} to {runs[-1]} runs: cost ~ runs^k", grows.get("search_runs_ms"),
         "k <= 1", lambda v: v <= 1, "k"),
        (f"search_runs, filtered and ordered by a metric, {runs[0]} to {runs[-1]} runs: cost ~ runs^k",
         grows.get("search_filtered_ms"), "k <= 1", lambda v: v <= 1, "k"),
        (f"get_metric_history, {points[0]} to {points[-1]} points: cost ~ points^k", grows.get("history_ms"),
         "k <= 1", lambda v: v <= 1, "k"),
        ("idempotent re-run / cold converge",
         ratio(prov.get("rerun", {}).get("seconds"), prov.get("cold", {}).get("seconds")), "<= 25%", lambda v: v <= 0.25, "%"),
        ("the re-run changes nothing (changed=)", prov.get("rerun", {}).get("changed"), "0", lambda v: v == 0, "n"),
        ("cold converge / package floor",
         ratio(prov.get("cold", {}).get("seconds"), prov.get("floor", {}).get("seconds")), "<= 1.3x", lambda v: v <= 1.3, "x"),
    ]
    out = []
    for name, v, target, ok, unit in checks:
        if v is None:
            text = "not measured"
        elif unit == "%":
            text = f"{v * 100:.0f}%"
        elif unit == "n":
            text = f"{v:d}"
        elif unit == "k":
            text = f"k = {v:.2f}"
        else:
            text = f"{v:.2f}{'x' if unit == 'x' else (' ' + unit if unit else '')}"
        out.append({"name": name, "value": v, "value_text": text, "target": target, "ok": None if v is None else bool(ok(v))})
    return out


def report(res, checks):
    h, m, s3 = res["health"], res["mlflow"], res["s3"]
    rows = [
        ("GET /health keep-alive (req/s)", h["naive"]["keepalive_rps"], h["ours"]["keepalive_rps"]),
        ("GET /health new connection (req/s)", h["naive"]["newconn_rps"], h["ours"]["newconn_rps"]),
        ("GET /health direct, keep-alive (req/s)", h["naive_direct"]["keepalive_rps"], h["ours_direct"]["keepalive_rps"]),
        ("log_metric one at a time (calls/s)", m["naive"]["log_metric_cps"], m["ours"]["log_metric_cps"]),
        (f"log_batch {res['counts']['log_batch']} metrics (s)", m["naive"]["log_batch_s"], m["ours"]["log_batch_s"]),
        (f"search_runs over {res['counts']['search_runs']} runs (s)", m["naive"]["search_runs_s"], m["ours"]["search_runs_s"]),
        (f"create {res['counts']['search_runs']} runs, 8 threads (s)", m["naive"]["create_runs_s"], m["ours"]["create_runs_s"]),
        (f"{res['counts']['artifact_mb']} MB artifact upload (MB/s)", m["naive"]["upload_mbps"], m["ours"]["upload_mbps"]),
        (f"{res['counts']['artifact_mb']} MB artifact download (MB/s)", m["naive"]["download_mbps"], m["ours"]["download_mbps"]),
        ("stack peak RSS (MiB)", m["naive"]["peak_rss_total"] / 2**20, m["ours"]["peak_rss_total"] / 2**20),
    ]
    print(f"\nfilament.mlflow benchmark ({res['mode']}, {res['reps']} rep(s), medians; mlflow {res['mlflow_version']}, {res['caddy_version']}; "
          f"naive: {'stock as resolved today' if res.get('naive') == 'today' else 'stock from benchmarks/naive'})")
    print(f"{'figure':44} {'naive':>10} {'ours':>10} {'ours/naive':>10}")
    for name, n, o in rows:
        print(f"{name:44} {n:10.2f} {o:10.2f} {o / n if n else float('nan'):10.2f}")
    print(f"{'boto3 straight to MinIO upload (MB/s)':44} {s3['upload_mbps']:10.2f}")
    print(f"{'boto3 straight to MinIO download (MB/s)':44} {s3['download_mbps']:10.2f}")
    st = res.get("stores")
    if st:
        print(f"\nthe stores, {res['counts']['artifact_mb']} MB (MB/s): our server behind an HTTPS front of its own on each store, in turn")
        print(f"{'figure':44} {'MinIO':>10} {'SeaweedFS':>10} {'Sw/MinIO':>10}")
        for name, minio, weed in (("proxied upload", st["minio"]["upload_mbps"], st["seaweedfs"]["upload_mbps"]),
                                  ("proxied download", st["minio"]["download_mbps"], st["seaweedfs"]["download_mbps"]),
                                  ("boto3 straight to the store, upload", s3["upload_mbps"], st["seaweedfs_s3"]["upload_mbps"]),
                                  ("boto3 straight to the store, download", s3["download_mbps"], st["seaweedfs_s3"]["download_mbps"])):
            print(f"{name:44} {minio:10.2f} {weed:10.2f} {weed / minio if minio else float('nan'):10.2f}")
    else:
        print("\nthe stores: SeaweedFS not measured (no weed binary)")
    fl = res.get("floor")
    if fl:
        print(f"\nlog_metric and its floor on this host (ms, medians of {fl['n']} calls each)")
        for label, key in (("the stock client through Caddy (ours)", "client_ms"),
                           ("the same REST call by hand through Caddy", "rest_caddy_ms"),
                           ("the same straight to the server", "rest_direct_ms"),
                           ("the server's ASGI app called in-process (no uvicorn, no socket)", "asgi_ms"),
                           ("its Flask app alone in-process (no FastAPI, no WSGI bridge)", "flask_ms"),
                           ("MLflow's SqlAlchemyStore.log_metric in-process", "store_ms"),
                           (f"its {fl['statements_per_call']:.0f} SQL statements and a commit through PyMySQL", "sql_pymysql_ms"),
                           ("an authenticated HTTPS round trip through Caddy, nothing behind", "https_floor_ms"),
                           ("the floor (the two above)", "floor_ms"),
                           ("MLflow's SqlAlchemyStore.get_run in-process", "get_run_store_ms")):
            print(f"  {label:68} {fl[key]:8.2f}")
        print(f"  ours as a share of the floor: {fl['share_of_floor']:.2f}; where the client's call goes:")
        for part, ms in fl["profile_ms"].items():
            print(f"    {part:66} {ms:8.2f}")
        print("  where the Flask app's time goes (cProfile, ms per call, its own time; with what it calls):")
        for hot in fl["flask_hot"][:8]:
            print(f"    {hot['function'][:66]:66} {hot['own_ms_per_call']:8.2f} {hot['with_callees_ms_per_call']:8.2f}")
    ld = res.get("load")
    if ld:
        c = res["counts"]
        print(f"\nmany clients: each logs metrics one call at a time for {c['load_s']} s (the client's retries off), "
              f"beside {c['load_uploaders']} uploading {c['load_mb']} MB artifacts")
        print(f"{'':12} {'calls/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'up MB/s':>8} {'up err':>7} {'peak RSS':>9}")
        for key, r in ld.items():
            print(f"{key:12} {r['calls_per_s']:9.1f} {r['p50_ms'] or 0:8.1f} {r['p95_ms'] or 0:8.1f} {r['p99_ms'] or 0:8.1f} "
                  f"{r['errors']:7d} {r['upload_mbps']:8.1f} {r['upload_errors']:7d} {r.get('peak_rss_total', 0) / 2**20:6.0f} MiB")
            if "cpu_s" in r:
                used = ", ".join(f"{u.split('-')[-1]} {v:.1f}" for u, v in r["cpu_s"].items())
                print(f"{'':12} CPU s: {used}; clients {r['clients_cpu_s']['metric']:.1f} + uploaders "
                      f"{r['clients_cpu_s']['upload']:.1f}; {r['cores_busy']:.2f} of {r['cores']} cores busy")
            for sample in r.get("error_samples", [])[:2]:
                print(f"{'':12} error: {sample[:150]}")
    big = res.get("big")
    if big:
        at_once = big["at_once"]
        print(f"\n{big['mb']} MB artifact (MB/s): through our proxy up {big['ours']['upload_mbps'][0]:.1f}, down "
              f"{big['ours']['download_mbps'][0]:.1f}; boto3 straight to MinIO up {big['s3']['upload_mbps'][0]:.1f}, down "
              f"{big['s3']['download_mbps'][0]:.1f}")
        print(f"  {at_once['uploaders']} such uploads through our proxy at once: {at_once['upload_mbps']:.1f} MB/s together, "
              f"{at_once['upload_errors']} failed; the server's RSS {at_once['rss_before']['mlflow'] / 2**20:.0f} MiB before, "
              f"{at_once['peak_rss']['mlflow'] / 2**20:.0f} MiB at most meanwhile")
    sc = res.get("scale")
    if sc:
        print("\nhow cost grows (ms, medians): the reads at each size of one experiment, each deployment (rows written"
              " into the database: " + ", ".join(f"{n} runs in {s} s" for n, s in sc["added_s"].items()) + ")")
        print(f"{'runs':>8} {'search_runs page':>26} {'filtered, by metric':>26} " +
              " ".join(f"{'history ' + p + ' pts':>26}" for p in map(str, sc["points"])))
        print(f"{'':8} " + " ".join(f"{'naive':>12} {'ours':>13}" for _ in range(2 + len(sc["points"]))))
        for size in map(str, sc["sizes"]):
            n, o = sc["naive"][size], sc["ours"][size]
            cells = [(n["search_runs_ms"], o["search_runs_ms"]), (n["search_filtered_ms"], o["search_filtered_ms"])]
            cells += [(n["history_ms"][p], o["history_ms"][p]) for p in map(str, sc["points"])]
            print(f"{size:>8} " + " ".join(f"{x:12.1f} {y:13.1f}" for x, y in cells))
        for side, g in res["growth"].items():
            print(f"  cost ~ size^k, {side}: " + ", ".join(f"{figure[:-3]} k = {k:.2f}" for figure, k in g.items()))
    for side in ("naive", "ours"):
        print(f"peak RSS {side}: " + ", ".join(f"{u} {v / 2**20:.0f} MiB" for u, v in m[side]["peak_rss"].items()))
    prov = res["provisioning"]
    if prov:
        fl = prov["floor"]
        print(f"\nprovisioning, on new hosts of their own: cold converge {prov['cold']['seconds']} s (changed={prov['cold']['changed']}), "
              f"re-run {prov['rerun']['seconds']} s (changed={prov['rerun']['changed']}); the package floor {fl['seconds']} s "
              f"({fl['packages']} Debian packages in one apt-get {fl['apt_s']} s, the server's lock by uv {fl['venv_s']} s)")
        for kind in ("cold", "rerun"):
            print(f"  the slowest tasks of the {kind} converge: " + "; ".join(f"{t['task']} {t['s']:.1f} s" for t in prov[kind]["slowest_tasks"][:6]))
    else:
        print("\nprovisioning: not measured (short mode, or --no-provision)")
    for label, v in res.get("stall", {}).items():
        if isinstance(v, dict) and "quickack_median_ms" in v:
            print(f"stall experiment {label}: keep-alive raw socket {v['plain_median_ms']:.1f} ms, with TCP_QUICKACK {v['quickack_median_ms']:.2f} ms")
        if isinstance(v, dict) and "keepalive_rps" in v:
            print(f"stall experiment {label}: keep-alive {v['keepalive_rps']:.1f} req/s ({v['keepalive_median_ms']:.1f} ms), new conn {v['newconn_rps']:.1f} req/s ({v['newconn_median_ms']:.1f} ms)")
    print("\ntargets" + (" (short mode: shown, not asserted)" if res["mode"] == "short" else "") + ":")
    for c in checks:
        mark = {True: "ok  ", False: "MISS", None: "n/a "}[c["ok"]]
        print(f"  [{mark}] {c['name']}: {c['value_text']} (target {c['target']})")
    print(f"our deployment untouched: {res['ours_untouched']}; elapsed {res['elapsed_s']} s")


def chart(res, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart (uv pip install matplotlib into .venv)")
        return None
    h, m, s3 = res["health"], res["mlflow"], res["s3"]
    panels = [
        ("GET /health keep-alive (req/s)", {"naive": h["naive"]["keepalive_rps"], "ours": h["ours"]["keepalive_rps"]}),
        ("log_metric (calls/s)", {"naive": m["naive"]["log_metric_cps"], "ours": m["ours"]["log_metric_cps"]}),
        (f"log_batch {res['counts']['log_batch']} (s, lower better)", {"naive": m["naive"]["log_batch_s"], "ours": m["ours"]["log_batch_s"]}),
        (f"search_runs {res['counts']['search_runs']} (s, lower better)", {"naive": m["naive"]["search_runs_s"], "ours": m["ours"]["search_runs_s"]}),
        (f"{res['counts']['artifact_mb']} MB upload (MB/s)", {"naive": m["naive"]["upload_mbps"], "ours": m["ours"]["upload_mbps"], "boto3": s3["upload_mbps"]}),
        (f"{res['counts']['artifact_mb']} MB download (MB/s)", {"naive": m["naive"]["download_mbps"], "ours": m["ours"]["download_mbps"], "boto3": s3["download_mbps"]}),
        ("stack peak RSS (MiB)", {"naive": m["naive"]["peak_rss_total"] / 2**20, "ours": m["ours"]["peak_rss_total"] / 2**20}),
    ]
    st = res.get("stores")
    if st:
        panels.append((f"{res['counts']['artifact_mb']} MB through our server (MB/s)",
                       {"MinIO up": st["minio"]["upload_mbps"], "Sw up": st["seaweedfs"]["upload_mbps"],
                        "MinIO down": st["minio"]["download_mbps"], "Sw down": st["seaweedfs"]["download_mbps"]}))
    big = res.get("big")
    if big:
        panels.append((f"{big['mb']} MB artifact (MB/s)", {
            "ours up": big["ours"]["upload_mbps"][0], "boto3 up": big["s3"]["upload_mbps"][0],
            "ours down": big["ours"]["download_mbps"][0], "boto3 down": big["s3"]["download_mbps"][0]}))
    ld = res.get("load")
    if ld:
        for figure, title in (("calls_per_s", "log_metric, N clients at once (calls/s)"), ("p99_ms", "p99 latency, N clients (ms, lower better)")):
            panels.append((title, {f"{side} {procs}": ld[f"{side}_{procs}"][figure] or 0
                                   for procs in res["counts"]["load_procs"] for side in ("naive", "ours")}))
    fl = res.get("floor")
    colors = {"naive": "#b0b0b0", "ours": "#2a7ab9", "boto3": "#6aaa64",
              "MinIO up": "#c04040", "Sw up": "#3a9a8a", "MinIO down": "#e08080", "Sw down": "#80c8b8",
              "ours up": "#2a7ab9", "ours down": "#7ab0dd", "boto3 up": "#6aaa64", "boto3 down": "#a8d4a2"}
    for key in list(ld or {}):
        side, procs = key.split("_")
        colors[f"{side} {procs}"] = colors[side]
    fig, axes = plt.subplots(5, 3, figsize=(15, 18))
    for ax, (title, vals) in zip(axes.flat, panels):
        bars = ax.bar(list(vals), list(vals.values()), color=[colors[k] for k in vals])
        ax.bar_label(bars, fmt="%.3g")
        ax.set_title(title, fontsize=10)
    rest = list(axes.flat)[len(panels):-1]
    if fl and rest:
        ax = rest.pop(0)
        bottom = 0
        for part, ms in fl["profile_ms"].items():
            ax.bar(0, max(ms, 0), bottom=bottom, label=f"{part.split(' (')[0]} {ms:.1f}")
            bottom += max(ms, 0)
        ax.bar(1, fl["floor_ms"], color="#6aaa64")
        ax.set_xticks([0, 1], ["our call", "floor"])
        ax.set_title(f"one log_metric (ms): where it goes; share of floor {fl['share_of_floor']:.2f}", fontsize=10)
        ax.legend(fontsize=7)
    sc = res.get("scale")
    if sc and len(rest) >= 2:
        for ax, (title, xs, ys) in zip(rest[:2], (
                ("search_runs (ms) against runs in the experiment", sc["sizes"],
                 lambda side, figure: [sc[side][str(n)][figure] for n in sc["sizes"]]),
                ("get_metric_history (ms) against points", sc["points"],
                 lambda side, figure: [sc[side][str(sc["sizes"][-1])]["history_ms"][str(p)] for p in sc["points"]]))):
            figures = ("search_runs_ms", "search_filtered_ms") if xs is sc["sizes"] else ("history_ms",)
            for side in ("naive", "ours"):
                for figure, style in zip(figures, ("-o", "--s")):
                    ax.plot(xs, ys(side, figure), style, color=colors[side], label=f"{side} {figure[:-3].replace('_', ' ')}")
            ax.plot(xs, [ys("ours", figures[0])[0] * x / xs[0] for x in xs], ":", color="#999999", label="as fast as the data")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=7)
        rest = rest[2:]
    for ax in rest:
        ax.axis("off")
    ax = axes.flat[-1]
    for side, x in (("naive", 0), ("ours", 1)):
        bottom = 0
        for u, v in m[side]["peak_rss"].items():
            ax.bar(x, v / 2**20, bottom=bottom, label=u.replace("bench-naive-", "") if side == "ours" else None,
                   color={"mlflow": "#2a7ab9", "caddy": "#f0a030", "mariadb": "#8060b0", "minio": "#c04040"}[u.replace("bench-naive-", "")])
            bottom += v / 2**20
    ax.set_xticks([0, 1], ["naive", "ours"])
    ax.set_title("peak RSS per service (MiB)", fontsize=10)
    ax.legend(fontsize=8)
    fig.suptitle(f"filament.mlflow: ours vs naive ({res['mode']}, {res['reps']} rep(s), medians, mlflow {res['mlflow_version']})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return path


if __name__ == "__main__":
    sys.exit(main())
