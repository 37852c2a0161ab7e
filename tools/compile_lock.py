"""Compile the server role's hash-locked requirements (roles/server/files/requirements/).

    python3 tools/compile_lock.py 3.17.2          the role's lock of MLflow 3.17.2 (and uv.txt)
    python3 tools/compile_lock.py 3.17.2 --extra 'psycopg2-binary==2.9.10' -o my-lock.txt
                                                  a lock of your own, for server_requirements_lock

The inputs are MLflow at that version, the role's base requirements (roles/server/vars/main.yml,
__server_base_requirements, flit-core among them: it builds the role's own package on the host)
and any --extra lines. uv resolves them for every platform and Python 3.11 and later (--universal) and
writes the sha256 of every file of each release; the header names the inputs, so a test can tell a
lock that is out of step with the role. Needs uv and a package index.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLE_VARS = os.path.join(ROOT, 'roles', 'server', 'vars', 'main.yml')
LOCKS = os.path.join(ROOT, 'roles', 'server', 'files', 'requirements')
PYTHON = '3.11'


def role_vars():
    with open(ROLE_VARS) as handle:
        return yaml.safe_load(handle)


def inputs(mlflow_version, extra=()):
    """The requirement lines a lock of this MLflow release is compiled from."""
    return ['mlflow==%s' % mlflow_version] + role_vars()['__server_base_requirements'] + list(extra)


def header(lines):
    return ''.join(['# Compiled by tools/compile_lock.py (uv pip compile --universal --generate-hashes\n',
                    '# --python-version %s) from these inputs:\n' % PYTHON]
                   + ['#   %s\n' % line for line in lines])


def compile_lock(lines, dest, uv):
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, 'requirements.in')
        with open(source, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        out = subprocess.run([uv, 'pip', 'compile', '--quiet', '--universal', '--generate-hashes',
                              '--python-version', PYTHON, '--no-header', '--only-binary', ':all:', source],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
    with open(dest, 'w') as handle:
        handle.write(header(lines) + out)
    print('wrote %s' % dest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('mlflow_version')
    parser.add_argument('--extra', action='append', default=[], help='a further requirement line (repeatable)')
    parser.add_argument('-o', '--output', help='where to write the lock (default: the role\'s lock of that release)')
    parser.add_argument('--uv', default=shutil.which('uv') or os.path.join(os.path.dirname(sys.executable), 'uv'))
    args = parser.parse_args()
    compile_lock(inputs(args.mlflow_version, args.extra),
                 args.output or os.path.join(LOCKS, 'mlflow-%s.txt' % args.mlflow_version), args.uv)
    if not args.output:
        compile_lock(['uv==%s' % role_vars()['__server_uv_version']], os.path.join(LOCKS, 'uv.txt'), args.uv)


if __name__ == '__main__':
    main()
