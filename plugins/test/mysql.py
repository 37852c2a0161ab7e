# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests on MySQL/MariaDB input, shared by the mysql and server roles."""

from __future__ import annotations

from ansible_collections.filament.mlflow.plugins.module_utils.site_checks import is_reserved_mysql_account


class TestModule:
    def tests(self):
        return {'reserved_mysql_account': is_reserved_mysql_account}
