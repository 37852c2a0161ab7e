#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wheelhouse
short_description: Build the wheelhouse of a hash-locked requirements file, for hosts without a package index
version_added: 0.1.0
description:
  - Downloads every wheel that CPython O(python) on Linux O(machine) installs from the lock O(lock) (and
    O(uv_lock)), each checked against the lock's sha256 hashes, into one tar archive in O(dest) with a
    manifest, C(wheelhouse.json). The server role copies the archive to a host and installs the same lock from
    it with no package index (C(server_wheelhouse)).
  - Meant to run on the controller (C(delegate_to=localhost)); it runs pip with O(pip_python) and needs a
    package index there, or a mirror given in O(index_url).
  - The archive is named after what it holds (MLflow's version, a digest of the locks, the Python version and
    the machine), so an archive that is there is complete and the module changes nothing. It is written
    under a temporary name and renamed into place, so an interrupted build leaves no archive behind.
  - Entries whose environment marker does not hold on the target are left out, as an installer on the host
    would leave them out.
author:
  - Filament MLflow maintainers (@filament)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports whether the archive would be built; nothing is downloaded.
  diff_mode:
    support: full
    details:
      - Shows the archive's path, absent before when it is built.
  platform:
    platforms: posix
options:
  lock:
    description:
      - Path of the requirements lock, every entry pinned with C(==) and its C(--hash=sha256) lines.
    type: path
    required: true
  uv_lock:
    description:
      - Path of a second lock installed first (the role's pin of uv); its wheels join the archive.
    type: path
  mlflow_version:
    description:
      - The MLflow release the lock pins; it names the archive and must match the lock's C(mlflow==) entry.
    type: str
    required: true
  python:
    description:
      - The target's Python version, C(3.N) (Debian 12 has 3.11, Debian 13 3.13).
    type: str
    required: true
  machine:
    description:
      - The target's machine, as C(uname -m) prints it.
    type: str
    choices: [x86_64, aarch64]
    default: x86_64
  dest:
    description:
      - Directory the archive is written to; created when missing.
    type: path
    required: true
  pip_python:
    description:
      - The Python interpreter whose pip downloads the wheels; the one the module runs with when unset.
    type: path
  index_url:
    description:
      - A package index (mirror) to download from instead of pip's own setting.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Build the wheelhouse of the server role's lock for Debian 12 hosts
  filament.mlflow.wheelhouse:
    lock: "{{ role_path }}/files/requirements/mlflow-3.17.2.txt"
    uv_lock: "{{ role_path }}/files/requirements/uv.txt"
    mlflow_version: "3.17.2"
    python: "3.11"
    machine: x86_64
    dest: /srv/wheelhouses
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
archive:
  description: Path of the archive.
  returned: always
  type: str
  sample: /srv/wheelhouses/mlflow-3.17.2-0f4c2a9b1e-cp311-x86_64.tar
lock_digest:
  description: The digest of the locks that names the archive (the server role names its virtualenv with the same).
  returned: always
  type: str
  sample: 0f4c2a9b1e
wheels:
  description: Number of wheels in the archive (when it was built by this run, or read from its manifest).
  returned: when the archive exists
  type: int
  sample: 106
size:
  description: Size of the archive in bytes.
  returned: when the archive exists
  type: int
  sample: 214958080
"""

import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.filament.mlflow.plugins.module_utils import python_lock as logic


def _read(module, path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError as exc:
        module.fail_json(msg='could not read the lock %s: %s' % (path, exc.strerror))
    return ''  # not reached


def _wheel_count(archive):
    try:
        with tarfile.open(archive) as tar:
            member = tar.extractfile(logic.MANIFEST)
            return len(json.load(member)['wheels']) if member else None
    except (OSError, KeyError, ValueError, tarfile.TarError):
        return None


def build(module, entries, params, lock_digest, archive):
    """Download the chosen entries' wheels and write the archive under a temporary name, then rename it."""
    workdir = tempfile.mkdtemp(prefix='.wheelhouse-', dir=params['dest'])
    try:
        wanted = os.path.join(workdir, 'requirements.txt')
        with open(wanted, 'w') as handle:
            handle.write(logic.render(entries))
        wheels_dir = os.path.join(workdir, 'wheels')
        argv = [params['pip_python'] or sys.executable, '-m', 'pip', 'download', '--disable-pip-version-check',
                '--quiet', '--dest', wheels_dir, '--requirement', wanted]
        argv += logic.pip_download_args(params['python'], params['machine'])
        if params['index_url']:
            argv += ['--index-url', params['index_url']]
        rc, out, err = module.run_command(argv)
        if rc != 0:
            lines = (err or out).strip().splitlines()[-6:]
            module.fail_json(msg='pip could not download the wheels of %s for CPython %s on %s: %s' % (
                params['lock'], params['python'], params['machine'], ' / '.join(lines)), archive=archive,
                lock_digest=lock_digest)
        wheels = dict((name, module.sha256(os.path.join(wheels_dir, name))) for name in sorted(os.listdir(wheels_dir)))
        stray = logic.unlisted_wheels(entries, wheels)
        if stray:
            module.fail_json(msg='the index served wheels whose sha256 the lock does not list: %s' % ', '.join(stray),
                             archive=archive, lock_digest=lock_digest)
        partial = os.path.join(workdir, 'archive.tar')
        with tarfile.open(partial, 'w') as tar:
            text = logic.manifest(params['mlflow_version'], lock_digest, params['python'], params['machine'], wheels)
            info = tarfile.TarInfo(logic.MANIFEST)
            info.size = len(text.encode('utf-8'))
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(text.encode('utf-8')))
            for name in wheels:
                tar.add(os.path.join(wheels_dir, name), arcname=name)
        os.chmod(partial, 0o644)
        os.rename(partial, archive)
        return len(wheels)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lock=dict(type='path', required=True),
            uv_lock=dict(type='path'),
            mlflow_version=dict(type='str', required=True),
            python=dict(type='str', required=True),
            machine=dict(type='str', default='x86_64', choices=list(logic.MACHINES)),
            dest=dict(type='path', required=True),
            pip_python=dict(type='path'),
            index_url=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    if not logic.HAS_PACKAGING:
        module.fail_json(msg=missing_required_lib('packaging'))
    params = module.params

    texts = [_read(module, params['lock'])] + ([_read(module, params['uv_lock'])] if params['uv_lock'] else [])
    problem = None
    try:
        entries = [entry for text in texts for entry in logic.parse(text)]
        chosen = logic.select(entries, params['python'], params['machine'])
    except logic.LockError as exc:
        problem = str(exc)
    if problem:
        module.fail_json(msg='%s cannot be used: %s' % (params['lock'], problem))
    if logic.pinned(entries).get('mlflow') != params['mlflow_version']:
        module.fail_json(msg='%s pins mlflow %s, not mlflow_version %s' % (
            params['lock'], logic.pinned(entries).get('mlflow', '(none)'), params['mlflow_version']))

    lock_digest = logic.digest(*texts)
    name = logic.archive_name(params['mlflow_version'], lock_digest, params['python'], params['machine'])
    archive = os.path.join(params['dest'], name)
    result = dict(changed=False, archive=archive, lock_digest=lock_digest)
    exists = os.path.isfile(archive)
    if module._diff:
        result['diff'] = dict(before={'archive': archive if exists else 'absent'}, after={'archive': archive})
    if exists:
        result.update(wheels=_wheel_count(archive), size=os.path.getsize(archive))
        module.exit_json(**result)

    result['changed'] = True
    if module.check_mode:
        module.exit_json(**result)
    try:
        os.makedirs(params['dest'], exist_ok=True)
    except OSError as exc:
        module.fail_json(msg='could not create dest %s: %s' % (params['dest'], exc.strerror), **result)
    result['wheels'] = build(module, chosen, params, lock_digest, archive)
    result['size'] = os.path.getsize(archive)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
