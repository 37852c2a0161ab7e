#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done on the controller, by the action plugin of the same name (plugins/action/files.py).

from __future__ import annotations

DOCUMENTATION = r"""
module: files
short_description: Put a role's files, directories and absent paths on a host, in one round trip when nothing differs
version_added: 0.1.0
description:
  - Takes the list of files, directories and paths that must be absent which a role puts on a host, each stated
    once, in the task that puts it there.
  - Renders each file's content on the controller once (a template, a file of the role, or literal content),
    asks the host in one call of M(filament.mlflow.drift) which items differ in content, owner, group, mode or
    state, and writes only those, through M(ansible.builtin.copy) and M(ansible.builtin.file). A run with
    nothing to change therefore costs one round trip whatever the number of items, and drift made by hand is
    repaired on the next run.
  - Items are put in place in the order listed, so list a directory before the files in it. The first item
    that fails stops the task; items before it stay written, each one checked by its O(files[].validate)
    command before it replaced the old file.
author:
  - Filament MLflow maintainers (@filament)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - filament.mlflow.action
attributes:
  check_mode:
    support: full
    details:
      - Reports the items a real run would write, with their diffs.
  diff_mode:
    support: full
    details:
      - One diff per written item; none for items marked O(files[].secret).
  platform:
    platforms: posix
options:
  files:
    description:
      - What to put on the host, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description:
          - The absolute path on the host. Each path may be listed once.
        type: path
        required: true
      state:
        description:
          - V(file) is a regular file with the content of exactly one of O(files[].template), O(files[].src)
            or O(files[].content); V(directory) a directory; V(absent) no path at all.
        type: str
        choices: [file, directory, absent]
        default: file
      template:
        description:
          - A Jinja2 template, looked up as M(ansible.builtin.template) looks up its C(src) (the role's
            C(templates/) first), rendered with the task's variables.
        type: str
      src:
        description:
          - A file on the controller, looked up as M(ansible.builtin.copy) looks up its C(src) (the role's
            C(files/) first).
        type: str
      content:
        description:
          - The literal content of the file.
        type: str
      owner:
        description:
          - The user that owns the path.
        type: str
      group:
        description:
          - The group that owns the path.
        type: str
      mode:
        description:
          - The permission bits, as a quoted octal string such as V('0640').
        type: str
      validate:
        description:
          - A command run on the new content before it replaces the file, with C(%s) for its path, as
            M(ansible.builtin.copy) runs it.
        type: str
      secret:
        description:
          - Whether the content is secret. No diff of a secret item is returned or shown, nor the message of a
            failed write.
        type: bool
        default: false
seealso:
  - module: filament.mlflow.drift
  - module: ansible.builtin.copy
  - module: ansible.builtin.template
"""

EXAMPLES = r"""
- name: Write the MLflow configuration and its unit
  filament.mlflow.files:
    files:
      - {dest: /etc/mlflow, state: directory, owner: root, group: mlflow, mode: "0750"}
      - {dest: /etc/mlflow/mlflow.env, template: mlflow.env.j2, owner: root, group: mlflow, mode: "0640", secret: true}
      - dest: /etc/systemd/system/mlflow.service
        template: mlflow.service.j2
        owner: root
        group: root
        mode: "0644"
        validate: systemd-analyze verify %s
      - {dest: /etc/mlflow/old.conf, state: absent}
  register: mlflow_files
  notify: Restart MLflow
"""

RETURN = r"""
written:
  description: The paths written, created or removed, in the order listed.
  returned: success
  type: list
  elements: str
  sample: [/etc/mlflow/mlflow.env]
reasons:
  description: For each item that differed, what differed.
  returned: always
  type: dict
  sample: {/etc/mlflow/mlflow.env: ["/etc/mlflow/mlflow.env has other content"]}
results:
  description: One entry for each item that differed, with its path, whether it changed and (unless secret) its diff.
  returned: always
  type: list
  elements: dict
  sample: [{dest: /etc/mlflow/mlflow.env, changed: true}]
"""
