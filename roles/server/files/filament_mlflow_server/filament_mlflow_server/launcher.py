"""`filament-mlflow-server`: `mlflow server` that becomes uvicorn instead of waiting beside it."""

import os
import sys


def become(cmd, extra_env=None, **_options):
    """Replace this process with cmd (what `mlflow server` would otherwise start as a child)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(cmd[0], list(cmd), {**os.environ, **(extra_env or {})})


def exec_in_place(server_module, job_execution_enabled):
    """Make `mlflow server` exec its server instead of starting it as a child and waiting.

    Kept as it is (False is returned) where MLflow runs its job runner beside the server, which
    needs the launcher, or where MLflow no longer starts its server through `_exec_cmd`."""
    if job_execution_enabled or not callable(getattr(server_module, "_exec_cmd", None)):
        return False
    server_module._exec_cmd = become
    return True


def main():
    """`filament-mlflow-server ARGS` runs `mlflow server ARGS`, with every check and setting of
    MLflow's own command, except that where `mlflow server` would start uvicorn as a child and
    then wait for it (holding ~270 MB of imports for nothing), this process becomes uvicorn. The
    launcher is still needed when MLflow runs its job runner next to the server
    (MLFLOW_SERVER_ENABLE_JOB_EXECUTION), and is kept then; likewise if MLflow no longer starts
    its server the way this expects."""
    import mlflow.server
    from mlflow.cli import cli
    from mlflow.environment_variables import MLFLOW_SERVER_ENABLE_JOB_EXECUTION

    # MLflow's own reading of the variable, the one `mlflow server` decides by.
    exec_in_place(mlflow.server, MLFLOW_SERVER_ENABLE_JOB_EXECUTION.get())
    cli.main(args=["server", *sys.argv[1:]], prog_name="mlflow")
