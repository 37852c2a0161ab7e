#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done on the controller, by the action plugin of the same name (plugins/action/packages.py).

from __future__ import annotations

DOCUMENTATION = r"""
module: packages
short_description: Install the Debian packages a role needs, asking dpkg first, and tell the truth in check mode
version_added: 0.1.0
description:
  - Asks the host in one call of M(filament.mlflow.drift), which reads dpkg's status database, which of the packages
    are not installed, and installs only those with M(ansible.builtin.apt) (updating the package lists when they are
    older than an hour), without the packages they only recommend. A run where every package is there costs that one call.
  - In check mode on a host without C(python3-apt), which M(ansible.builtin.apt) needs to tell anything, it reports the
    packages a real run would install, as a change, instead of failing. A real run gets C(python3-apt) on the way.
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
      - Reports the packages a real run would install, with or without C(python3-apt) on the host.
  diff_mode:
    support: none
    details:
      - The packages installed are returned in RV(missing).
  platform:
    platforms: debian
options:
  names:
    description:
      - The Debian package names.
    type: list
    elements: str
    required: true
seealso:
  - module: ansible.builtin.apt
  - module: filament.mlflow.drift
"""

EXAMPLES = r"""
- name: Install the database server, its client and PyMySQL
  filament.mlflow.packages:
    names: [mariadb-server, mariadb-client, python3-pymysql]
"""

RETURN = r"""
missing:
  description: The packages that were not installed when the task began (installed by it, unless in check mode).
  returned: always
  type: list
  elements: str
  sample: [python3-pymysql]
versions:
  description:
    - The version dpkg had of each package that was installed when the task began.
    - A package this task installs is not in it.
  returned: always
  type: dict
  sample: {caddy: 2.6.2-5}
"""
