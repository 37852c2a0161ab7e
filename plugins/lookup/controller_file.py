# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.controller_file: what a role checks of a file on the controller, in-process."""

from __future__ import annotations

DOCUMENTATION = r"""
name: controller_file
author:
  - Filament MLflow maintainers (@filament)
version_added: 0.1.0
short_description: Whether a path on the controller is a regular file, and its sha256
description:
  - For each path, whether it exists, whether it is a regular file (after symlinks) and, for a
    regular file, its sha256 as 64 lowercase hex digits.
  - Runs in the controller's Ansible process, like every lookup. A role checks a binary it copies
    against the sha256 pinned in the inventory this way, in preflight, before any host changes,
    without the cost of a module run on localhost.
options:
  _terms:
    description: Paths on the controller.
    required: true
    type: list
    elements: path
"""

EXAMPLES = r"""
- name: Check minio_binary_src against minio_binary_sha256
  ansible.builtin.assert:
    that: __src.regular and __src.sha256 == minio_binary_sha256 | lower
  vars:
    __src: "{{ lookup('filament.mlflow.controller_file', minio_binary_src) }}"
"""

RETURN = r"""
_raw:
  description: One dictionary per path.
  type: list
  elements: dict
  contains:
    path:
      description: The path as given.
      type: str
    exists:
      description: Whether the path exists.
      type: bool
    regular:
      description: Whether it is a regular file (a symlink to one counts).
      type: bool
    sha256:
      description: The file's sha256 in lowercase hex; empty when it is not a regular file.
      type: str
"""

from ansible.plugins.lookup import LookupBase

from ansible_collections.filament.mlflow.plugins.module_utils import controller_file


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [controller_file.describe(str(term)) for term in terms]
