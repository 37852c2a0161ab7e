"""Compile the server role's hash-locked requirements (roles/server/files/requirements/).

    python3 tools/compile_lock.py 3.17.2          the role's lock of MLflow 3.17.2 (and uv.txt)
    python3 tools/compile_lock.py 3.17.2 --extra 'psycopg2-binary==2.9.10' -o my-lock.txt
                                                  a lock of your own, for server_requirements_lock

The inputs are MLflow at that version, the role's base requirements (roles/server/vars/main.yml,
__server_base_requirements, flit-core among them: it builds the role's own package on the host)
and any --extra lines. uv resolves them for every platform and Python 3.11 and later (--universal) and
writes the sha256 of every file of each release. The packages of __server_lock_left_out (MLflow's
client-side libraries, which the tracking server never imports) are then taken out of the lock,
with every package only they pull in, unless an input names them; the virtualenv installs the lock
with --no-deps. The header names the inputs and what was left out, so a test can tell a lock that
is out of step with the role. Needs uv and a package index.
"""

import argparse
import os
import re
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


def left_out():
    """The packages the role's locks leave out (__server_lock_left_out)."""
    return list(role_vars()['__server_lock_left_out'])


def header(lines, leave=()):
    text = ''.join(['# Compiled by tools/compile_lock.py (uv pip compile --universal --generate-hashes\n',
                    '# --python-version %s) from these inputs:\n' % PYTHON]
                   + ['#   %s\n' % line for line in lines])
    if leave:
        text += '# Left out, with what only they pull in: %s\n' % ', '.join(leave)
    return text


def _name(requirement):
    """The normalized project name of a requirement line or lock entry (PEP 503)."""
    match = re.match(r'\s*([A-Za-z0-9][A-Za-z0-9._-]*)', requirement)
    return re.sub(r'[-_.]+', '-', match.group(1)).lower() if match else ''


def _entries(text):
    """uv's lock as [name, lines, via]: an entry is its requirement line and the indented lines
    below it (hashes, then uv's `# via` comment); via, the names of the packages that pull it in."""
    entries = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            entries.append([_name(line), [line], []])
            continue
        comment = re.sub(r'^#\s*(via\b)?\s*', '', line.strip()) if line.lstrip().startswith('#') else ''
        if comment[:1].isalnum():  # a package's name; `-r requirements.in` marks an input
            entries[-1][2].append(_name(comment))
        entries[-1][1].append(line)
    return entries


def _without(lines, gone):
    """An entry's lines without the packages of gone in its `# via` comment (uv's one-line form
    when one is left)."""
    head = [line for line in lines if not line.lstrip().startswith('#')]
    via = [re.sub(r'^#\s*(via\b)?\s*', '', line.strip()) for line in lines if line.lstrip().startswith('#')]
    via = [v for v in via if v and _name(v) not in gone]
    if len(via) == 1:
        return head + ['    # via %s' % via[0]]
    return head + (['    # via'] + ['    #   %s' % v for v in via] if via else [])


def leave_out(text, names, inputs_=()):
    """uv's lock without the named packages and every package that only they pull in (a package
    an input names stays), and without them in the `# via` comments of the rest."""
    keep = {_name(line) for line in inputs_}
    entries = _entries(text)
    gone = {_name(name) for name in names} - keep
    while True:
        more = {name for name, _lines, via in entries
                if name not in gone | keep and via and set(via) <= gone}
        if not more:
            break
        gone |= more
    out = []
    for name, lines, _via in entries:
        if name not in gone:
            out.extend(_without(lines, gone))
    return '\n'.join(out) + '\n'


def compile_lock(lines, dest, uv, leave=()):
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, 'requirements.in')
        with open(source, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        out = subprocess.run([uv, 'pip', 'compile', '--quiet', '--universal', '--generate-hashes',
                              '--python-version', PYTHON, '--no-header', '--only-binary', ':all:', source],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
    if leave:
        out = leave_out(out, leave, lines)
    with open(dest, 'w') as handle:
        handle.write(header(lines, leave) + out)
    print('wrote %s' % dest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('mlflow_version')
    parser.add_argument('--extra', action='append', default=[], help='a further requirement line (repeatable)')
    parser.add_argument('-o', '--output', help='where to write the lock (default: the role\'s lock of that release)')
    parser.add_argument('--uv', default=shutil.which('uv') or os.path.join(os.path.dirname(sys.executable), 'uv'))
    args = parser.parse_args()
    compile_lock(inputs(args.mlflow_version, args.extra),
                 args.output or os.path.join(LOCKS, 'mlflow-%s.txt' % args.mlflow_version), args.uv, left_out())
    if not args.output:
        compile_lock(['uv==%s' % role_vars()['__server_uv_version']], os.path.join(LOCKS, 'uv.txt'), args.uv)


if __name__ == '__main__':
    main()
