# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hash-locked requirement files and the wheelhouses built from them.

A lock is what `uv pip compile --universal --generate-hashes` (or pip-compile) writes: one entry per
package, `name==version` (or `name @ URL` of one file), an optional environment marker after `;`,
and a `--hash=sha256:...` for every file of that release, lines continued with a backslash. The server role installs its
virtualenv from such a file with --require-hashes, so nothing the lock does not name, and no file
with another digest, can be installed.

A wheelhouse is the wheels of one lock for one Python version and machine, in a tar archive with a
manifest (wheelhouse.json), so a host without any package index installs the same lock from it.
The entries whose marker holds on the target are chosen here (pip download evaluates markers for
the interpreter it runs on, not for --python-version), and pip downloads them with the lock's hashes.
"""

from __future__ import annotations

import hashlib
import json
import re

import importlib.util

# packaging is imported where markers are evaluated: the roles' filters load this module in every
# task that uses them, and most never evaluate a marker.
HAS_PACKAGING = importlib.util.find_spec('packaging') is not None

MANIFEST = 'wheelhouse.json'
_PIN = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)\s*(?:;\s*(.*?))?\s*$')
# A direct reference to one file (`name @ https://.../x.whl`), pinned by its hash alone.
_URL = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*@\s*(\S+)\s*(?:;\s*(.*?))?\s*$')
_HASH = re.compile(r'^--hash=sha256:([0-9a-f]{64})$')
_PYTHON = re.compile(r'^3\.([0-9]+)$')
# The glibc of each manylinux tag pip may take for a host, newest last: Debian 12 has glibc 2.36,
# Debian 13 2.41; wheels built for an older glibc run on a newer one.
_GLIBC_MINORS = range(17, 37)
MACHINES = ('x86_64', 'aarch64')


class LockError(ValueError):
    """A lock the role cannot use, with the reason."""


def normalize(name):
    """A project name as indexes compare them (PEP 503)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def _logical_lines(text):
    """The lock's lines with continuations joined and comments dropped."""
    joined = []
    current = ''
    for raw in text.splitlines():
        line = raw.split(' #', 1)[0] if not raw.lstrip().startswith('#') else ''
        line = line.strip()
        if line.endswith('\\'):
            current += line[:-1] + ' '
            continue
        current += line
        if current.strip():
            joined.append(current.strip())
        current = ''
    if current.strip():
        joined.append(current.strip())
    return joined


def parse(text):
    """The entries of a lock: dicts of name, version, marker ('' for none) and hashes.

    Raises LockError for an entry that is not pinned with == or has no sha256 hash, and for an
    option line (an index URL in a lock would decide where packages come from)."""
    entries = []
    for line in _logical_lines(text):
        words = line.split()
        if words[0].startswith('-'):
            raise LockError('the lock sets pip option %s; a lock holds only pinned entries with hashes' % words[0])
        head = []
        hashes = []
        for word in words:
            if word.startswith('--hash='):
                match = _HASH.match(word)
                if not match:
                    raise LockError('%s is not a sha256 hash (in the entry %s)' % (word, words[0]))
                hashes.append(match.group(1))
            else:
                head.append(word)
        requirement = ' '.join(head)
        match = _PIN.match(requirement)
        url = _URL.match(requirement) if not match else None
        if not match and not url:
            raise LockError('%s is not pinned to one version with == (or to one file with name @ URL)' % requirement)
        if not hashes:
            raise LockError('%s has no --hash=sha256 line' % requirement)
        if match:
            entries.append({'name': normalize(match.group(1)), 'version': match.group(3),
                            'marker': match.group(4) or '', 'hashes': hashes})
        else:
            entries.append({'name': normalize(url.group(1)), 'version': '', 'url': url.group(3),
                            'marker': url.group(4) or '', 'hashes': hashes})
    if not entries:
        raise LockError('the lock holds no entries')
    return entries


def pinned(entries):
    """{normalized name: version} of a parsed lock ('' for a file named by URL; the last entry wins)."""
    return dict((entry['name'], entry['version']) for entry in entries)


def missing(entries, requirements):
    """The requirement lines whose project the lock does not pin (a name, or name plus specifiers)."""
    names = pinned(entries)
    out = []
    for requirement in requirements:
        match = re.match(r'^\s*([A-Za-z0-9][A-Za-z0-9._-]*)', requirement)
        if not match or normalize(match.group(1)) not in names:
            out.append(requirement)
    return out


def environment(python, machine):
    """The marker environment of CPython `python` ('3.11') on Linux `machine`."""
    match = _PYTHON.match(python or '')
    if not match:
        raise LockError("the Python version must be 3.N, got '%s'" % python)
    if machine not in MACHINES:
        raise LockError('the machine must be one of %s, got %s' % (', '.join(MACHINES), machine))
    return {
        'implementation_name': 'cpython', 'implementation_version': python + '.0',
        'os_name': 'posix', 'platform_machine': machine, 'platform_python_implementation': 'CPython',
        'platform_release': '', 'platform_system': 'Linux', 'platform_version': '',
        'python_full_version': python + '.0', 'python_version': python, 'sys_platform': 'linux',
    }


def select(entries, python, machine):
    """The entries a CPython `python` on Linux `machine` installs: those whose marker holds there."""
    from packaging.markers import InvalidMarker, Marker  # pylint: disable=import-outside-toplevel

    env = environment(python, machine)
    chosen = []
    for entry in entries:
        if entry['marker']:
            try:
                if not Marker(entry['marker']).evaluate(env):
                    continue
            except InvalidMarker as exc:
                raise LockError('the marker of %s is not valid: %s' % (entry['name'], exc))
        chosen.append(entry)
    return chosen


def render(entries):
    """A requirements file of these entries, each with its hashes (markers dropped: already chosen)."""
    lines = []
    for entry in entries:
        if entry.get('url'):
            lines.append('%s @ %s \\' % (entry['name'], entry['url']))
        else:
            lines.append('%s==%s \\' % (entry['name'], entry['version']))
        lines.extend('    --hash=sha256:%s%s' % (digest, ' \\' if i < len(entry['hashes']) - 1 else '')
                     for i, digest in enumerate(entry['hashes']))
    return '\n'.join(lines) + '\n'


def digest(*texts):
    """A short digest of lock texts: what a virtualenv or a wheelhouse is named after."""
    return hashlib.sha256('\n'.join(texts).encode('utf-8')).hexdigest()[:10]


def archive_name(mlflow_version, lock_digest, python, machine):
    """The file name of the wheelhouse of a lock for CPython `python` on `machine`."""
    return 'mlflow-%s-%s-cp%s-%s.tar' % (mlflow_version, lock_digest, python.replace('.', ''), machine)


def pip_download_args(python, machine):
    """pip download options that take only wheels CPython `python` on Linux `machine` can install."""
    environment(python, machine)
    tag = 'cp' + python.replace('.', '')
    args = ['--only-binary=:all:', '--no-deps', '--require-hashes', '--implementation', 'cp',
            '--python-version', python, '--abi', tag, '--abi', 'abi3', '--abi', 'none']
    platforms = ['manylinux_2_%d_%s' % (minor, machine) for minor in _GLIBC_MINORS]
    platforms += ['manylinux2014_%s' % machine, 'linux_%s' % machine]
    if machine == 'x86_64':
        platforms += ['manylinux2010_x86_64', 'manylinux1_x86_64']
    for platform in platforms:
        args += ['--platform', platform]
    return args


def manifest(mlflow_version, lock_digest, python, machine, wheels):
    """The wheelhouse's wheelhouse.json: what it was built for and the sha256 of each wheel."""
    return json.dumps({'mlflow_version': mlflow_version, 'lock_digest': lock_digest, 'python': python,
                       'machine': machine, 'wheels': wheels}, indent=2, sort_keys=True) + '\n'


def unlisted_wheels(entries, wheels):
    """The wheel files (name: sha256) whose digest no entry of the lock lists."""
    allowed = set(h for entry in entries for h in entry['hashes'])
    return sorted(name for name, sha in wheels.items() if sha not in allowed)


def problems(text, mlflow_version, required):
    """Why a lock cannot install MLflow `mlflow_version` with the `required` requirement lines (empty when it can)."""
    try:
        entries = parse(text)
    except LockError as exc:
        return [str(exc)]
    out = []
    version = pinned(entries).get('mlflow')
    if version != mlflow_version:
        out.append('it pins mlflow %s, not server_mlflow_version %s' % (version or '(not at all)', mlflow_version))
    lacking = missing(entries, required)
    if lacking:
        out.append('it does not pin %s' % ', '.join(lacking))
    return out
