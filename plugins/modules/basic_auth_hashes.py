#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: basic_auth_hashes
short_description: Keep a bcrypt hash for each basic-auth user, made again only when the password changed
version_added: 0.1.0
description:
  - Reads the hashes stored on the host for basic-auth users (a JSON object of user names to bcrypt hashes),
    keeps each one that still matches its user's password, and makes a new one for every other user.
  - Writes nothing. The caller writes RV(store) where the hashes are kept, and the hashes into the web server's
    configuration, so a run with unchanged passwords changes nothing.
  - A bcrypt hash is slow to make on purpose and a new one differs every time. Keeping the matching ones is what
    keeps a re-run quick and the configuration unchanged.
author:
  - Filament MLflow maintainers (@filament)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it works out the same hashes in check mode.
      - In check mode on a host without bcrypt every user counts as new, with an empty hash.
  diff_mode:
    support: none
    details:
      - Nothing is changed; the task that writes the hashes shows what changes (without them).
  platform:
    platforms: posix
options:
  users:
    description:
      - The users and their passwords.
    type: list
    elements: dict
    required: true
    suboptions:
      username:
        description:
          - The user name.
        type: str
        required: true
      password:
        description:
          - The password.
        type: str
        required: true
  path:
    description:
      - The file on the host that holds the stored hashes. A missing file holds none.
    type: path
    required: true
  rounds:
    description:
      - The bcrypt cost of a new hash (log2 of the rounds). Caddy's C(hash-password) uses 14.
    type: int
    default: 14
requirements:
  - bcrypt (Debian's C(python3-bcrypt)) on the host
notes:
  - Give the task C(no_log), as for any task whose arguments hold passwords.
seealso:
  - name: Caddy's basic_auth directive
    description: The hashes it accepts.
    link: https://caddyserver.com/docs/caddyfile/directives/basic_auth
"""

EXAMPLES = r"""
- name: Work out the basic-auth hashes
  filament.mlflow.basic_auth_hashes:
    users: "{{ caddy_basic_auth_users }}"
    path: /etc/caddy/basic-auth.json
  register: auth
  no_log: true

- name: Keep the hashes (root only)
  ansible.builtin.copy:
    content: "{{ auth.store }}"
    dest: /etc/caddy/basic-auth.json
    owner: root
    group: root
    mode: "0600"
  no_log: true
"""

RETURN = r"""
hashes:
  description: The bcrypt hash of each user's password.
  returned: success
  type: dict
  sample: {alice: "$2b$14$..."}
store:
  description: The content of the stored-hash file for RV(hashes) (sorted JSON, final newline).
  returned: success
  type: str
new:
  description: The users whose hash was made in this run (new users, or a changed password).
  returned: success
  type: list
  elements: str
  sample: [alice]
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.filament.mlflow.plugins.module_utils import basic_auth as logic

try:
    import bcrypt
except ImportError:
    bcrypt = None
    BCRYPT_ERROR = traceback.format_exc()
else:
    BCRYPT_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type='list', elements='dict', required=True, options=dict(
                username=dict(type='str', required=True),
                password=dict(type='str', required=True, no_log=True))),
            path=dict(type='path', required=True),
            rounds=dict(type='int', default=14),
        ),
        supports_check_mode=True,
    )
    if bcrypt is None and module.check_mode:
        # A check run on a host where the role has not installed python3-bcrypt yet: every user
        # would get a new hash.
        module.warn('bcrypt is not installed on the host yet: a real run installs it and hashes every password')
        hashes = dict((user['username'], '') for user in module.params['users'])
        module.exit_json(changed=False, hashes=hashes, store=logic.store_text(hashes), new=sorted(hashes))
    if bcrypt is None:
        module.fail_json(msg=missing_required_lib('bcrypt (python3-bcrypt)'), exception=BCRYPT_ERROR)
    rounds = module.params['rounds']
    if not 4 <= rounds <= 31:
        module.fail_json(msg='rounds must be between 4 and 31, got %d' % rounds)
    path = module.params['path']
    try:
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ''
    except OSError as exc:
        module.fail_json(msg='could not read the stored hashes in %s: %s' % (path, exc.strerror))
    try:
        stored = logic.parse_store(text)
    except logic.InvalidStore as exc:
        module.fail_json(msg='the stored hashes in %s %s; remove the file to make new ones' % (path, exc))
    hashes, new = logic.reconcile(bcrypt, module.params['users'], stored, rounds)
    module.exit_json(changed=False, hashes=hashes, store=logic.store_text(hashes), new=new)


if __name__ == '__main__':
    main()
