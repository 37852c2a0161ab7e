# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.account: a service account and its primary group, stated once.

One call of filament.mlflow.drift tells whether the group and the user are as stated;
ansible.builtin.group and ansible.builtin.user run only for what differs.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.filament.mlflow.plugins.module_utils import account as logic


class ActionModule(ActionBase):

    _VALID_ARGS = logic.OPTIONS

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        try:
            account = logic.normalize(dict(self._task.args))
        except logic.InvalidAccount as exc:
            raise AnsibleActionFail(str(exc))
        result.update(changed=False, reasons={})
        try:
            drift = self._execute_module(module_name='filament.mlflow.drift', module_args=logic.drift_request(account),
                                         task_vars=task_vars)
            if drift.get('failed'):
                raise AnsibleActionFail('could not read the account: %s' % drift.get('msg', drift))
            result['reasons'] = drift.get('reasons', {})
            for key, module, args in (('group', 'ansible.legacy.group', logic.group_args(account)),
                                      ('user', 'ansible.legacy.user', logic.user_args(account))):
                if key not in drift.get('drifted', []):
                    continue
                done = self._execute_module(module_name=module, module_args=args, task_vars=task_vars)
                if done.get('failed'):
                    result.update(failed=True, msg='%s %s: %s' % (key, args['name'], done.get('msg', 'failed')))
                    return result
                result['changed'] = result['changed'] or bool(done.get('changed'))
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
