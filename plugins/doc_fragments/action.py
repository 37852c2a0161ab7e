# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's action plugins (files, packages, account) share in their documentation:
they run on the controller, call modules on the host, and do not run asynchronously."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
"""
