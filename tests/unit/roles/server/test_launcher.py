"""filament-mlflow-server: `mlflow server` that execs its server in place of waiting for it."""

import pathlib
import subprocess
import sys
import types

from filament_mlflow_server import launcher

PACKAGE_ROOT = pathlib.Path(launcher.__file__).resolve().parents[1]


def test_execs_in_place_without_the_job_runner():
    server = types.SimpleNamespace(_exec_cmd=lambda cmd, **kw: None)
    assert launcher.exec_in_place(server, job_execution_enabled=False)
    assert server._exec_cmd is launcher.become


def test_keeps_the_launcher_for_the_job_runner():
    def original(cmd, **options):
        return None

    server = types.SimpleNamespace(_exec_cmd=original)
    assert not launcher.exec_in_place(server, job_execution_enabled=True)
    assert server._exec_cmd is original


def test_keeps_the_launcher_when_mlflow_starts_its_server_otherwise():
    server = types.SimpleNamespace()
    assert not launcher.exec_in_place(server, job_execution_enabled=False)
    assert not hasattr(server, '_exec_cmd')


def test_become_replaces_the_process_with_its_environment():
    code = ('import sys; sys.path.insert(0, %r); from filament_mlflow_server.launcher import become; '
            'print("before", flush=True); become(["/bin/sh", "-c", "echo $FILAMENT_X $$"], {"FILAMENT_X": "in-place"})'
            % str(PACKAGE_ROOT))
    child = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
    out, dummy = child.communicate(timeout=30)
    lines = out.split()
    assert lines[:2] == ['before', 'in-place']
    # The shell printed its own PID: the same process, not a child of it.
    assert int(lines[2]) == child.pid
