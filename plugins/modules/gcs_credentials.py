#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcs_credentials
short_description: Install a Google Cloud service account key file from its base64 encoding
version_added: 0.1.0
description:
  - Decodes a service account key given as base64 (as made by C(base64 -w 0 < service_account.json)), checks that it
    is a complete service account key, and writes it to O(dest), for example for the MLflow server to reach
    Google Cloud Storage.
  - Everything is checked before the filesystem is touched; a bad input fails with a message naming the problem,
    and leaves an existing file as it was.
  - The file is written to a private (V(0600)) temporary file next to O(dest) and renamed into place, so readers
    never see a partial key and the key is never readable by others on the way.
  - Neither the input nor the key appears in messages, results or diffs; the key is identified by the sha256
    fingerprint of the file and its C(client_email).
author:
  - Filament MLflow maintainers (@filament)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows fingerprints (C(sha256:<hex> client_email=<account>)) and file attributes, never the key.
  platform:
    platforms: posix
  safe_file_operations:
    description: Writes through a temporary file and an atomic rename, then applies owner and mode.
    support: full
options:
  auth_string:
    description:
      - The service account key file, base64-encoded.
      - Whitespace (line breaks of wrapped base64, a final newline) is ignored.
    type: str
    required: true
  dest:
    description:
      - Where to write the key file. Its directory must exist.
    type: path
    required: true
  owner:
    description:
      - The user that should own the file.
    type: str
  group:
    description:
      - The group that should own the file.
    type: str
  mode:
    description:
      - The permissions of the file, as an octal string such as V('0640') or in symbolic form.
    type: raw
    default: '0600'
seealso:
  - module: filament.mlflow.bucket
"""

EXAMPLES = r"""
- name: Install the MLflow server's Google Cloud service account key
  filament.mlflow.gcs_credentials:
    auth_string: "{{ vault_gcs_service_account_b64 }}"
    dest: /etc/mlflow/gcs-service-account.json
    owner: root
    group: mlflow
    mode: '0640'
  no_log: true
"""

RETURN = r"""
dest:
  description: Path of the key file.
  returned: always
  type: str
  sample: /etc/mlflow/gcs-service-account.json
client_email:
  description: The service account the key belongs to.
  returned: success
  type: str
  sample: mlflow@acme-ml.iam.gserviceaccount.com
project_id:
  description: The Google Cloud project of the service account.
  returned: success
  type: str
  sample: acme-ml
fingerprint:
  description: The sha256 of the key file as written, to compare keys without revealing them.
  returned: success
  type: str
  sample: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.filament.mlflow.plugins.module_utils import gcs_credentials as logic


def install(module, data, dest):
    """Put data at dest through a private temporary file and a rename."""
    directory, basename = os.path.split(dest)
    tmp = logic.write_private_temp(directory or '.', basename, data)
    # atomic_move gives a new file the permissions the umask allows; a strict umask keeps the key
    # private until the requested owner and mode are applied right after.
    previous_umask = os.umask(0o077)
    try:
        module.atomic_move(tmp, dest)
    finally:
        os.umask(previous_umask)
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            auth_string=dict(type='str', required=True, no_log=True),
            dest=dict(type='path', required=True),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw', default='0600'),
        ),
        supports_check_mode=True,
    )
    dest = module.params['dest']

    problem = None
    try:
        data = logic.decode_auth_string(module.params['auth_string'])
        info = logic.parse_service_account(data)
    except logic.InvalidServiceAccount as exc:
        problem = str(exc)  # reported outside the handler: there is no traceback worth showing
    if problem:
        # No `dest` in this result: Ansible would stat it, and a bad input must not touch the filesystem.
        module.fail_json(msg=problem, changed=False)

    result = dict(changed=False, dest=dest, client_email=info['client_email'], project_id=info['project_id'],
                  fingerprint=logic.fingerprint(data))
    if os.path.isdir(dest):
        module.fail_json(msg='dest %s is a directory: give the path of the key file.' % dest, **result)
    if not os.path.isdir(os.path.dirname(dest) or '.'):
        if module.check_mode:
            result['changed'] = True
            module.exit_json(**result)
        module.fail_json(msg='the directory of dest %s does not exist: create it first.' % dest, **result)

    try:
        current = logic.read_current(dest)
    except OSError as exc:
        module.fail_json(msg='could not read %s: %s' % (dest, exc.strerror), **result)
    content_diff = dict(
        before='absent\n' if current is None else logic.describe(current) + '\n',
        after=logic.describe(data, info) + '\n',
        before_header=dest,
        after_header=dest,
    )
    changed = current != data
    if changed and not module.check_mode:
        try:
            install(module, data, dest)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # atomic_move raises plain Exception
            module.fail_json(msg='could not write %s: %s' % (dest, exc), exception=traceback.format_exc(), **result)

    attributes_diff = dict(before={}, after={})
    if current is None and module.check_mode:
        attributes_changed = False  # nothing to compare against yet: the file itself is the change
    else:
        file_args = module.load_file_common_arguments(module.params, path=dest)
        attributes_changed = module.set_fs_attributes_if_different(file_args, False, diff=attributes_diff)

    result['changed'] = changed or attributes_changed
    if module._diff:
        result['diff'] = [content_diff, attributes_diff] if attributes_changed else [content_diff]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
