# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.packages: install the Debian packages a role needs, asking dpkg first.

One call of filament.mlflow.drift tells which packages are missing and whether python3-apt is
there; only the missing ones go to ansible.builtin.apt. In check mode on a host without
python3-apt (which the apt module needs to tell anything) the action reports what a real run
would install instead of failing.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.filament.mlflow.plugins.module_utils import packages as logic


class ActionModule(ActionBase):

    _VALID_ARGS = frozenset(('names',))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        try:
            names = logic.normalize(self._task.args.get('names'))
        except logic.InvalidNames as exc:
            raise AnsibleActionFail(str(exc))
        result.update(changed=False, missing=[], versions={})
        if not names:
            return result
        try:
            drift = self._execute_module(module_name='filament.mlflow.drift',
                                         module_args={'packages': logic.drift_request(names)}, task_vars=task_vars)
            if drift.get('failed'):
                raise AnsibleActionFail('could not read which packages are installed: %s' % drift.get('msg', drift))
            missing, apt_bindings = logic.missing(names, drift)
            # What was installed before this run: a package installed now has no version here.
            before = drift.get('versions', {})
            result.update(missing=missing, versions={name: before[name] for name in names if name in before})
            if not missing:
                return result
            if self._task.check_mode and not apt_bindings:
                result.update(changed=True, msg='a real run installs %s (without %s on the host, apt cannot tell more '
                                                'in check mode)' % (', '.join(missing), logic.APT_BINDINGS))
                return result
            installed = self._execute_module(module_name='ansible.legacy.apt', module_args=logic.apt_args(missing),
                                             task_vars=task_vars)
            installed.update(missing=missing, versions=result['versions'])
            return dict(result, **installed)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
