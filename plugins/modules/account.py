#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done on the controller, by the action plugin of the same name (plugins/action/account.py).

from __future__ import annotations

DOCUMENTATION = r"""
module: account
short_description: A service's system account and primary group, stated once, compared in one call
version_added: 0.1.0
description:
  - Asks the host in one call of M(filament.mlflow.drift) whether the group and the user are as stated (the user's
    primary group, home, shell, comment, and a password locked with C(!)), and runs M(ansible.builtin.group) and
    M(ansible.builtin.user) only for what differs, with exactly the attributes it compared.
  - The user is a system user. Its home is not made here; the role makes it with the owner and mode it wants.
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
      - Reports what a real run would change, as M(ansible.builtin.user) does in check mode.
  diff_mode:
    support: none
    details:
      - What differed is returned in RV(reasons).
  platform:
    platforms: posix
options:
  name:
    description: The user's name.
    type: str
    required: true
  group:
    description: The user's primary group, made as a system group when it is missing.
    type: str
    required: true
  home:
    description: The user's home directory.
    type: path
    required: true
  shell:
    description: The user's login shell.
    type: path
    default: /usr/sbin/nologin
  comment:
    description: The user's comment (GECOS) field.
    type: str
    default: ''
  locked:
    description: Whether the password is locked (C(!) in C(/etc/shadow)), so that no one logs in with one.
    type: bool
    default: true
notes:
  - Reading C(/etc/shadow) needs root (C(become)).
seealso:
  - module: ansible.builtin.user
  - module: filament.mlflow.drift
"""

EXAMPLES = r"""
- name: Create the service account
  filament.mlflow.account:
    name: mlflow
    group: mlflow
    home: /opt/mlflow
"""

RETURN = r"""
reasons:
  description: What differed, by C(group) and C(user).
  returned: always
  type: dict
  sample: {user: ["user mlflow has shell '/bin/bash', wanted '/usr/sbin/nologin'"]}
"""
