"""The provisioning figures of `make bench` (full): on new hosts of their own, the lab untouched.

- cold converge: playbooks/site.yml with the lab's settings (inventories/lab/group_vars/all/main.yml,
  a copy of its credentials; no backup host) on a new host from the bare host image, timed;
- re-run: the same playbook again on that host once it is idle (a new server warms up after its
  first start), timed, `changed=0` expected;
- the package floor: on a second new host, what that converge installed and nothing else, the
  quickest way there is: the Debian packages it installed (apt-mark showmanual, against the bare
  image) in one `apt-get install`, then a virtualenv with uv from the lock of uv and the server's
  virtualenv from the same lock, by uv, checking every hash, against the same index. Binaries copied
  from the controller (MinIO, node exporter, ...) are left out: a copy takes well under a second.
Both hosts are removed after.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

COLD, FLOOR = "filament-bench-cold", "filament-bench-floor"
VENV = "/opt/mlflow/venv"


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def _sh(host, script, env=None):
    options = [f"--env={k}={v}" for k, v in (env or {}).items()]
    return _run(["docker", "exec", *options, host, "bash", "-ec", script])


def _inventory(root, directory):
    """An inventory of one host (COLD) in every group, with the lab's settings and a copy of its credentials."""
    os.makedirs(os.path.join(directory, "group_vars", "all"))
    os.symlink(os.path.join(root, "inventories", "lab", "group_vars", "all", "main.yml"),
               os.path.join(directory, "group_vars", "all", "main.yml"))
    lab = os.path.join(root, "inventories", "lab", "credentials")
    if os.path.isdir(lab):
        shutil.copytree(lab, os.path.join(directory, "credentials"))
    groups = "\n".join(f"    {g}:\n      hosts: {{{COLD}: {{}}}}" for g in ("mlflow_db", "mlflow_storage", "mlflow_server", "mlflow_proxy"))
    with open(os.path.join(directory, "hosts.yml"), "w") as f:
        f.write(f"all:\n  children:\n{groups}\n  hosts:\n    {COLD}:\n      ansible_connection: community.docker.docker\n")
    return os.path.join(directory, "hosts.yml")


def _converge(root, inventory, log_path):
    t0 = time.time()
    with open(log_path, "w") as out:
        r = subprocess.run([os.path.join(root, ".venv", "bin", "ansible-playbook"), "-i", inventory,
                            os.path.join(root, "playbooks", "site.yml")], stdout=out, stderr=subprocess.STDOUT,
                           env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(root, "ansible.cfg"),
                                    ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="12"))
    seconds = time.time() - t0
    text = open(log_path).read()
    recap = re.findall(rf"{COLD}\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", text)
    if r.returncode != 0 or not recap:
        raise SystemExit(f"the provisioning host's converge failed ({log_path}):\n{text[-3000:]}")
    ok, changed, _, _ = map(int, recap[-1])
    # profile_tasks' summary: the slowest tasks, "role : name ---- 12.34s".
    slowest = [{"task": re.sub(r"\s*-+$", "", m.group(1)).strip(), "s": float(m.group(2))}
               for m in re.finditer(r"^(.+?)\s+-{3,}\s+([\d.]+)s$", text.split("PLAY RECAP")[-1], re.M)]
    return {"seconds": round(seconds, 1), "ok": ok, "changed": changed, "slowest_tasks": slowest}


def _settle(host, window=5, idle=0.10, limit=120):
    """Seconds until host's processes use less than `idle` of a core over `window` seconds (a new
    server still compiles and warms up after its first start; a user's re-run comes later), at most limit."""
    t0 = time.time()
    # The host container's own CPU time in ns (its cgroup, as PID 1 sees it; cgroup v1 here, v2 elsewhere).
    read = ("g=$(awk -F: '$2 ~ /cpuacct/ || $1 == \"0\" {print $3; exit}' /proc/1/cgroup); "
            "cat /sys/fs/cgroup/cpuacct$g/cpuacct.usage 2>/dev/null || awk '/usage_usec/ {print $2 * 1000}' /sys/fs/cgroup$g/cpu.stat")
    while time.time() - t0 < limit:
        before = int(_sh(host, read).stdout.split()[0])
        time.sleep(window)
        if (int(_sh(host, read).stdout.split()[0]) - before) / 1e9 < idle * window:
            break
    return round(time.time() - t0)


def _manual_packages(host):
    return set(_sh(host, "apt-mark showmanual").stdout.split())


def _floor(packages, host_files):
    """The least the converge's installs take on FLOOR: one apt-get, then uv from its lock and the
    server's lock by uv (host_files: {path on the cold host: its content} of the locks and CA bundle)."""
    for path, content in host_files.items():
        _run(["docker", "exec", "-i", FLOOR, "sh", "-c", f"mkdir -p /tmp/floor && cat > /tmp/floor/{os.path.basename(path)}"],
             input=content)
    ca = "/tmp/floor/package-ca-bundle.pem"
    env = {"UV_CACHE_DIR": "/tmp/floor/uv-cache"}
    if any(p.endswith("package-ca-bundle.pem") for p in host_files):
        env.update(SSL_CERT_FILE=ca, PIP_CERT=ca)
    out = {"packages": len(packages)}
    t0 = time.time()
    _sh(FLOOR, "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends "
        + " ".join(sorted(packages)) + " >/dev/null")
    out["apt_s"] = round(time.time() - t0, 1)
    t0 = time.time()
    _sh(FLOOR, "python3 -m venv /tmp/floor/venv && /tmp/floor/venv/bin/pip install -q --disable-pip-version-check "
        "--require-hashes --no-deps -r /tmp/floor/uv-requirements.txt && /tmp/floor/venv/bin/uv pip install -q "
        "--python /tmp/floor/venv/bin/python --require-hashes --no-deps -r /tmp/floor/requirements.txt", env=env)
    out["venv_s"] = round(time.time() - t0, 1)
    out["seconds"] = round(out["apt_s"] + out["venv_s"], 1)
    return out


def measure(root, log):
    """{"cold": ..., "rerun": ..., "floor": ...} measured now on new hosts (removed after)."""
    harness = os.path.join(root, "harness", "harness.sh")
    directory = tempfile.mkdtemp(prefix="filament-bench-provision-")
    env = dict(os.environ, FILAMENT_HOST_UP_IMAGE="")
    try:
        for host in (COLD, FLOOR):  # what a run stopped halfway left would not be new
            subprocess.run([harness, "host-down", host], capture_output=True)
        inventory = _inventory(root, directory)
        _run([harness, "host-up", COLD], env=env)
        log(f"provisioning: cold converge of a new host ({COLD})")
        out = {"cold": _converge(root, inventory, os.path.join(directory, "cold.log"))}
        out["settled_s"] = _settle(COLD)
        log(f"provisioning: the re-run, once the new host is idle ({out['settled_s']} s after the converge)")
        out["rerun"] = _converge(root, inventory, os.path.join(directory, "rerun.log"))
        _run([harness, "host-up", FLOOR], env=env)
        packages = _manual_packages(COLD) - _manual_packages(FLOOR)
        venv = _sh(COLD, f"readlink -f {VENV}").stdout.strip()
        files = {f"{venv}/{name}": _sh(COLD, f"cat {venv}/{name}").stdout for name in ("requirements.txt", "uv-requirements.txt")}
        bundle = _sh(COLD, "cat /opt/mlflow/package-ca-bundle.pem 2>/dev/null || true").stdout
        if bundle:
            files["/opt/mlflow/package-ca-bundle.pem"] = bundle
        log(f"provisioning: the package floor on a new host ({FLOOR}): {len(packages)} packages, the server's lock")
        out["floor"] = _floor(packages, files)
        out["floor"]["package_names"] = sorted(packages)
        return out
    finally:
        for host in (COLD, FLOOR):
            subprocess.run([harness, "host-down", host], capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    import json

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(json.dumps(measure(root, lambda m: print(m, file=sys.stderr, flush=True)), indent=2))
