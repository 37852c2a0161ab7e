# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles and site.yml share: the cross-tier check and the unit validator."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.filament.mlflow.plugins.module_utils import site_checks, systemd_verify


def tier_problems(host, hostvars, groups):
    """Where the tiers of site.yml disagree, seen from host (a list of messages naming variable and host)."""
    return site_checks.tier_problems(host, hostvars, groups)


def unit_verify_command(unit, dropin=False):
    """The validate: command for a systemd unit file (or, with dropin=true, a drop-in of unit)."""
    try:
        return systemd_verify.verify_command(unit, dropin=dropin)
    except systemd_verify.InvalidUnitName as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {
            'tier_problems': tier_problems,
            'unit_verify_command': unit_verify_command,
        }
