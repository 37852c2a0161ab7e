"""`filament-mlflow-gc`: MLflow's own garbage collection (`mlflow gc`) for the role's server.

    filament-mlflow-gc --older-than 30d --tracking-uri http://localhost:5000

purges the runs and experiments deleted more than --older-than ago, with their artifacts. MLflow
deletes a run's artifacts through its artifact URI: with proxied artifacts (mlflow-artifacts:/...)
that is the local server, reached at --tracking-uri. The backend store URI, password included,
comes from the environment (MLFLOW_BACKEND_STORE_URI, the server's environment file) and is handed
to MLflow in this process, so it never shows on a command line; no message repeats it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import urllib.parse

# MLflow's own format for --older-than: days, hours, minutes, seconds, each optional, in order.
OLDER_THAN = re.compile(r'^(?=.)([0-9.]+d)?([0-9.]+h)?([0-9.]+m)?([0-9.]+s)?$')


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='filament-mlflow-gc', description=__doc__.splitlines()[0])
    parser.add_argument('--older-than', required=True, help="e.g. 30d, 12h, 1d2h (MLflow's format)")
    parser.add_argument('--tracking-uri', required=True, help='the local MLflow server')
    args = parser.parse_args(argv)
    if not OLDER_THAN.match(args.older_than):
        parser.error('--older-than must be like 30d, 12h or 1d2h30m; got %r' % args.older_than)
    return args


def scrub(message, uri):
    """message without the backend store URI or its password."""
    text = str(message).replace(uri, '<backend store URI>')
    password = urllib.parse.urlsplit(uri).password if '://' in uri else None
    for secret in filter(None, {password, password and urllib.parse.unquote(password)}):
        text = text.replace(secret, '<password>')
    return text


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    uri = os.environ.get('MLFLOW_BACKEND_STORE_URI', '')
    if not uri:
        sys.exit('filament-mlflow-gc: MLFLOW_BACKEND_STORE_URI is not set (the server\'s environment file)')
    os.environ['MLFLOW_TRACKING_URI'] = args.tracking_uri
    from mlflow.cli import cli

    try:
        cli.main(args=['gc', '--backend-store-uri', uri, '--older-than', args.older_than],
                 prog_name='filament-mlflow-gc', standalone_mode=False)
    except Exception as exc:  # pylint: disable=broad-except  # reported without the URI, as a failed unit
        sys.exit('filament-mlflow-gc: %s: %s' % (type(exc).__name__, scrub(exc, uri)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
