#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mlflow_auth
short_description: Keep MLflow's basic-auth users and their permissions as declared
version_added: 0.1.0
description:
  - Keeps the users of MLflow's basic-auth app (C(mlflow server --app-name basic-auth)) and their permissions on
    experiments and registered models, in MLflow's auth database, through MLflow's own auth store.
  - The admin account is made when missing, and its password and admin flag are set when they differ.
  - Each user of O(users) is made when missing; a password that no longer matches is set again (MLflow keeps only
    a hash, so the module tries the password), and the admin flag follows the declaration.
  - Each listed permission is granted or changed. An experiment that does not exist yet is made.
  - What the module made is recorded in a table of its own in the auth database. A user or a permission that it
    made and that is no longer listed is removed. Users made through MLflow's API, and the MANAGE permission
    MLflow grants whoever creates an experiment, are left alone.
  - Opening the auth store runs MLflow's auth migrations (the auth database's own schema); in check mode they are
    reported, not run.
  - Run it with the interpreter of the MLflow server's virtualenv (C(mlflow[auth]) installed).
author:
  - Filament MLflow maintainers (@filament)
requirements:
  - mlflow with its auth extra (mlflow[auth]), the same release as the server
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows each kept user's admin flag and permissions, and whose password is set; never a password.
  platform:
    platforms: posix
options:
  auth_database_uri:
    description:
      - The SQLAlchemy URI of MLflow's auth database (the C(database_uri) of the auth configuration).
    type: str
    required: true
  tracking_uri:
    description:
      - The server's backend store URI, where experiments are found by name and made when missing.
    type: str
    required: true
  artifact_root:
    description:
      - The artifact root of experiments the module makes (the server's default artifact root; V(mlflow-artifacts:/)
        with proxied artifacts).
    type: str
    required: true
  admin_username:
    description:
      - The admin account.
    type: str
    required: true
  admin_password:
    description:
      - The admin account's password, at least 12 characters.
    type: str
    required: true
  users:
    description:
      - The users to keep, besides the admin.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The user name.
        type: str
        required: true
      password:
        description: The password, at least 12 characters.
        type: str
        required: true
      admin:
        description: Whether the user is an admin (may do anything, and manage users).
        type: bool
        default: false
      experiments:
        description:
          - Permissions on experiments, by experiment name, each V(READ), V(USE), V(EDIT), V(MANAGE) or
            V(NO_PERMISSIONS).
        type: list
        elements: dict
        default: []
      models:
        description:
          - Permissions on registered models, by model name, with the same permissions as O(users[].experiments).
        type: list
        elements: dict
        default: []
"""

EXAMPLES = r"""
- name: Alice reads the shared experiment and manages her own; bob edits the churn model
  filament.mlflow.mlflow_auth:
    auth_database_uri: "mysql+pymysql://mlflow:{{ vault_db_password }}@127.0.0.1:3306/mlflow_auth"
    tracking_uri: "mysql+pymysql://mlflow:{{ vault_db_password }}@127.0.0.1:3306/mlflow"
    artifact_root: "mlflow-artifacts:/"
    admin_username: admin
    admin_password: "{{ vault_mlflow_admin_password }}"
    users:
      - name: alice
        password: "{{ vault_alice_password }}"
        experiments:
          - {name: shared, permission: READ}
          - {name: alice-trials, permission: MANAGE}
      - name: bob
        password: "{{ vault_bob_password }}"
        models:
          - {name: churn, permission: EDIT}
  vars:
    ansible_python_interpreter: /opt/mlflow/venv/bin/python
  no_log: true
"""

RETURN = r"""
changed_steps:
  description: What was (or in check mode, would be) changed, in words, without a secret.
  returned: always
  type: list
  elements: str
  sample: ["create user alice", "grant alice READ on experiment shared"]
experiments_created:
  description: The experiments that were (or would be) made for the permissions.
  returned: always
  type: list
  elements: str
  sample: [alice-trials]
auth_schema_upgraded:
  description: Whether MLflow's auth migrations were (or would be) run on the auth database.
  returned: always
  type: bool
  sample: false
users:
  description: The users the module keeps, besides the admin.
  returned: always
  type: list
  elements: str
  sample: [alice, bob]
"""

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.filament.mlflow.plugins.module_utils import mlflow_auth as logic

ARGUMENT_SPEC = dict(
    auth_database_uri=dict(type='str', required=True, no_log=True),
    tracking_uri=dict(type='str', required=True, no_log=True),
    artifact_root=dict(type='str', required=True),
    admin_username=dict(type='str', required=True),
    admin_password=dict(type='str', required=True, no_log=True),
    users=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        password=dict(type='str', required=True, no_log=True),
        admin=dict(type='bool', default=False),
        experiments=dict(type='list', elements='dict', default=[]),
        models=dict(type='list', elements='dict', default=[]),
    )),
)


def _resolve(client, wanted, check_mode):
    """wanted with experiment names turned into ids (experiments made where missing, or in check mode
    given a placeholder id); returns (wanted by id, {id: name}, names made)."""
    names = sorted({resource for user in wanted.values() for (kind, resource) in user['grants']
                    if kind == logic.EXPERIMENT})
    ids = client.experiment_ids(names)
    made = [name for name in names if name not in ids]
    for name in made:
        ids[name] = 'new:%s' % name if check_mode else client.create_experiment(name)
    resolved = {}
    for name, user in wanted.items():
        grants = {(kind, ids[resource] if kind == logic.EXPERIMENT else resource): permission
                  for (kind, resource), permission in user['grants'].items()}
        resolved[name] = dict(user, grants=grants)
    return resolved, {found: name for name, found in ids.items()}, made


def _read(client, admin_username, admin_password, wanted, passwords):
    """What the stores hold: the admin, the wanted and managed users with their grants, the records."""
    if not client.opened:  # check mode over an auth database that would be made or migrated
        return {'name': admin_username, 'exists': False, 'admin': False, 'password_ok': False}, {}, set()
    managed = client.managed()
    found = client.user(admin_username, admin_password)
    admin = {'name': admin_username, 'exists': found is not None,
             'admin': bool(found and found['admin']), 'password_ok': bool(found and found['password_ok'])}
    current = {}
    for name in sorted(set(wanted) | {user for kind, user, dummy in managed}):
        user = client.user(name, passwords.get(name))
        if user is None:
            continue
        resources = set(wanted.get(name, {}).get('grants', {}))
        resources |= {(kind, resource) for kind, user_name, resource in managed
                      if user_name == name and kind != logic.USER}
        user['grants'] = client.grants(name, sorted(resources))
        current[name] = user
    return admin, current, managed


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    result = dict(changed=False, changed_steps=[], experiments_created=[], auth_schema_upgraded=False,
                  users=sorted(user['name'] for user in params['users']))

    if len(params['admin_password']) < logic.MIN_PASSWORD:
        module.fail_json(msg='admin_password must be at least %d characters (MLflow\'s rule).' % logic.MIN_PASSWORD,
                         **result)
    try:
        wanted = logic.wanted_users(params['admin_username'], params['users'])
        passwords = {user['name']: user['password'] for user in params['users']}
        passwords[params['admin_username']] = params['admin_password']
        client = logic.Client(params['auth_database_uri'], params['tracking_uri'], params['artifact_root'],
                              check_mode=module.check_mode)
        wanted, names, made = _resolve(client, wanted, module.check_mode)
        admin, current, managed = _read(client, params['admin_username'], params['admin_password'], wanted, passwords)
        steps = logic.plan(admin, wanted, current, managed)
        if steps and not module.check_mode:
            client.apply(steps, passwords)
    except logic.AuthError as exc:
        module.fail_json(msg=str(exc), **result)
    except Exception as exc:  # the stores' errors: named without the URIs, which hold the password
        module.fail_json(msg='MLflow\'s auth or tracking store failed: %s: %s'
                         % (type(exc).__name__, logic.without_secrets(str(exc), params)),
                         exception=logic.without_secrets(traceback.format_exc(), params), **result)

    result.update(changed_steps=[logic.describe(step, names) for step in logic.changes(steps)],
                  experiments_created=made, auth_schema_upgraded=client.migrates)
    result['changed'] = bool(steps or made or client.migrates)
    if module._diff:
        result['diff'] = logic.diff(admin, wanted, current, managed, steps, names)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
