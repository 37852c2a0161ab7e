#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: drift
short_description: Tell which parts of a host differ from the state a role wants, in one call
version_added: 0.1.0
description:
  - Compares files, directories, paths that must be absent, user and group accounts, Debian packages and
    systemd units with what a role wants, and returns the keys of the items that differ.
  - A role runs it once and then skips the tasks whose items all match, so a run with nothing to change makes
    one call instead of one or two per file, directory, account and unit. A task whose item differs runs as
    usual and makes the change, shows the diff and notifies its handlers.
  - Only reads. Whatever it cannot tell for sure (an unreadable path, no dpkg database, no systemd) counts as
    a difference, so a skipped task never had anything to change.
  - The content of a file is compared by its sha1 checksum, the one M(ansible.builtin.copy) and
    M(ansible.builtin.template) compare. The wanted content is rendered on the controller; only its checksum
    is sent.
author:
  - Filament MLflow maintainers (@filament)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The module never changes the host; it runs the same in check mode.
  diff_mode:
    support: none
    details:
      - Nothing is changed, so there is nothing to show; the tasks that make the changes show their diffs.
  platform:
    platforms: posix
options:
  files:
    description:
      - Files, directories and paths that must be absent.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - The name the result uses for this item. Several items may share a key (the items of one looped task).
        type: str
        required: true
      path:
        description:
          - The path on the host. Symbolic links are not followed.
        type: path
        required: true
      state:
        description:
          - V(file) is a regular file, V(directory) a directory, V(absent) no path at all.
          - V(present) is any path that exists, symbolic links followed (what C(creates) of
            M(ansible.builtin.command) checks); O(files[].checksum), O(files[].owner), O(files[].group) and
            O(files[].mode) are not compared for it.
        type: str
        choices: [file, directory, absent, present]
        default: file
      checksum:
        description:
          - The sha1 of the wanted content of a file, for example C("{{ lookup('template', 'x.j2') | hash('sha1') }}"),
            or V(sha256:<hex>) for a pinned download.
          - Without it the content is not compared.
        type: str
      same_as:
        description:
          - A file on the host this file must be a copy of (as M(ansible.builtin.copy) with C(remote_src) makes it).
          - The item differs when that file is missing.
        type: path
      followed_by:
        description:
          - With O(files[].same_as), text that follows the copy, for example an extra CA certificate appended
            to the host's CA bundle.
        type: str
      owner:
        description:
          - The user that should own the path, by name.
        type: str
      group:
        description:
          - The group that should own the path, by name.
        type: str
      mode:
        description:
          - The wanted permission bits as an octal string such as V('0640').
        type: str
  users:
    description:
      - User accounts.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - The name the result uses for this item.
        type: str
        required: true
      name:
        description:
          - The user's name.
        type: str
        required: true
      group:
        description:
          - The name of the user's primary group.
        type: str
      home:
        description:
          - The user's home directory.
        type: str
      shell:
        description:
          - The user's login shell.
        type: str
      comment:
        description:
          - The user's comment (GECOS) field.
        type: str
      locked:
        description:
          - Whether the password field of the user in C(/etc/shadow) must be exactly C(!), as
            M(ansible.builtin.user) writes it for O(ansible.builtin.user#module:password=!).
        type: bool
        default: false
  groups:
    description:
      - Groups that must exist.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - The name the result uses for this item.
        type: str
        required: true
      name:
        description:
          - The group's name.
        type: str
        required: true
  packages:
    description:
      - Debian packages that must be installed, read from dpkg's status database.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - The name the result uses for this item.
        type: str
        required: true
      names:
        description:
          - The package names; the item differs when one of them is not installed.
        type: list
        elements: str
        required: true
  units:
    description:
      - systemd units that must be enabled and active.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - The name the result uses for this item.
        type: str
        required: true
      name:
        description:
          - The unit's name, for example V(mlflow.service).
        type: str
        required: true
      enabled:
        description:
          - Whether the unit must be enabled.
        type: bool
        default: true
      active:
        description:
          - Whether the unit must be active (running).
        type: bool
        default: true
      masked:
        description:
          - The unit must be masked and stopped instead (one a package ships that must not run);
            O(units[].enabled) and O(units[].active) are not read then.
        type: bool
        default: false
notes:
  - The module reads C(/etc/shadow) for O(users[].locked), so it needs root for that check (C(become)).
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.service_facts
"""

EXAMPLES = r"""
- name: Find what differs from the wanted state
  filament.mlflow.drift:
    files:
      - key: unit
        path: /etc/systemd/system/mlflow.service
        checksum: "{{ lookup('ansible.builtin.template', 'mlflow.service.j2') | hash('sha1') }}"
        owner: root
        group: root
        mode: '0644'
      - key: dirs
        path: /etc/mlflow
        state: directory
        owner: root
        group: mlflow
        mode: '0750'
    users:
      - {key: account, name: mlflow, group: mlflow, home: /var/lib/mlflow, shell: /usr/sbin/nologin, locked: true}
    groups:
      - {key: account, name: mlflow}
    packages:
      - {key: packages, names: [python3-venv, python3-dev]}
    units:
      - {key: service, name: mlflow.service}
  register: mlflow_drift

- name: Write the systemd unit
  when: "'unit' in mlflow_drift.drifted"
  ansible.builtin.template:
    src: mlflow.service.j2
    dest: /etc/systemd/system/mlflow.service
    owner: root
    group: root
    mode: '0644'
"""

RETURN = r"""
drifted:
  description: The keys of the items that differ from the wanted state, each once, in the order given.
  returned: success
  type: list
  elements: str
  sample: [unit, service]
reasons:
  description: For each key in RV(drifted), what differs.
  returned: success
  type: dict
  sample: {unit: ["/etc/systemd/system/mlflow.service has other content"], service: ["unit mlflow.service is inactive, wanted active"]}
versions:
  description: The installed version of each package of O(packages) that is installed, as dpkg has it.
  returned: success
  type: dict
  sample: {caddy: 2.6.2-5}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.filament.mlflow.plugins.module_utils import drift as logic

DPKG_STATUS = '/var/lib/dpkg/status'


def read_installed_packages():
    try:
        with open(DPKG_STATUS, encoding='utf-8', errors='replace') as handle:
            return logic.installed_packages(handle.read())
    except OSError:
        return None


def show_units(module, names):
    """systemctl's view of each unit by name; an empty dict for each when systemctl cannot tell."""
    systemctl = module.get_bin_path('systemctl')
    if not names or not systemctl:
        return {name: {} for name in names}
    rc, out, dummy = module.run_command(
        [systemctl, 'show', '--property=Id,LoadState,UnitFileState,ActiveState', '--'] + list(names))
    shown = logic.parse_systemctl_show(out) if rc == 0 else []
    if len(shown) != len(names):
        return {name: {} for name in names}
    return dict(zip(names, shown))


def main():
    # 'key' names a task, not a secret.
    key = dict(type='str', required=True, no_log=False)
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', default=[], options=dict(
                key=key, path=dict(type='path', required=True),
                state=dict(type='str', choices=['file', 'directory', 'absent', 'present'], default='file'),
                checksum=dict(type='str'), same_as=dict(type='path'), followed_by=dict(type='str'),
                owner=dict(type='str'), group=dict(type='str'), mode=dict(type='str'))),
            users=dict(type='list', elements='dict', default=[], options=dict(
                key=key, name=dict(type='str', required=True), group=dict(type='str'), home=dict(type='str'),
                shell=dict(type='str'), comment=dict(type='str'), locked=dict(type='bool', default=False))),
            groups=dict(type='list', elements='dict', default=[], options=dict(
                key=key, name=dict(type='str', required=True))),
            packages=dict(type='list', elements='dict', default=[], options=dict(
                key=key, names=dict(type='list', elements='str', required=True))),
            units=dict(type='list', elements='dict', default=[], options=dict(
                key=key, name=dict(type='str', required=True), enabled=dict(type='bool', default=True),
                active=dict(type='bool', default=True), masked=dict(type='bool', default=False))),
        ),
        supports_check_mode=True,
    )
    params = module.params
    found = []
    try:
        found.extend((item['key'], logic.path_reasons(item)) for item in params['files'])
    except logic.InvalidWanted as exc:
        module.fail_json(msg='files: %s' % exc)
    found.extend((item['key'], logic.group_reasons(item)) for item in params['groups'])
    found.extend((item['key'], logic.user_reasons(item)) for item in params['users'])
    versions = {}
    if params['packages']:
        installed = read_installed_packages()
        found.extend((item['key'], logic.package_reasons(item, installed)) for item in params['packages'])
        versions = logic.package_versions(params['packages'], installed)
    shown = show_units(module, [item['name'] for item in params['units']])
    found.extend((item['key'], logic.unit_reasons(item, shown[item['name']])) for item in params['units'])

    drifted, reasons = logic.collect(found)
    module.exit_json(changed=False, drifted=drifted, reasons=reasons, versions=versions)


if __name__ == '__main__':
    main()
