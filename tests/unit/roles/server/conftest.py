"""The server role's Python package (roles/server/files/filament_mlflow_server) on sys.path, as
the role installs it into the virtualenv."""

import pathlib
import sys

PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[4] / 'roles' / 'server' / 'files' / 'filament_mlflow_server'
if str(PACKAGE_ROOT) not in sys.path:
    sys.path.insert(0, str(PACKAGE_ROOT))
