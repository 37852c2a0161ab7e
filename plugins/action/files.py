# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.files: put a role's files, directories and absent paths on a host.

Each file's content is rendered (or read) on the controller once. One call of
filament.mlflow.drift on the host tells which items differ; only those are written, through
ansible.builtin.copy (content, validate, check mode and diff as usual) and ansible.builtin.file.
A run with nothing to change costs one round trip, whatever the number of items.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.filament.mlflow.plugins.module_utils import host_files as logic


def _sha1(path):
    digest = hashlib.sha1()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


class ActionModule(ActionBase):

    # The copies it delegates to ansible.builtin.copy make their own remote temporary directory, and
    # only when an item differs: a run with nothing to write makes none.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('files',))

    def _render(self, name, task_vars):
        lookup = self._shared_loader_obj.lookup_loader.get(
            'ansible.builtin.template', loader=self._loader, templar=self._templar)
        return lookup.run([name], variables=task_vars)[0]

    def _source(self, index, item, scratch, task_vars):
        """A controller path that holds the wanted content of a file item."""
        if item.get('src') is not None:
            try:
                return self._find_needle('files', item['src'])
            except AnsibleError as exc:
                raise AnsibleActionFail('%s: %s' % (item['dest'], to_text(exc)))
        if item.get('template') is not None:
            try:
                text = self._render(item['template'], task_vars)
            except AnsibleError as exc:
                raise AnsibleActionFail('%s: template %s: %s' % (item['dest'], item['template'], to_text(exc)))
        else:
            text = item['content']
        path = os.path.join(scratch, '%d-%s' % (index, os.path.basename(item['dest'])))
        with open(to_bytes(path, errors='surrogate_or_strict'), 'wb') as handle:
            handle.write(to_bytes(text, errors='surrogate_or_strict'))
        return path

    def _copy(self, item, source, task_vars):
        task = self._task.copy()
        task.args = logic.file_args(item, source)
        copy = self._shared_loader_obj.action_loader.get(
            'ansible.legacy.copy', task=task, connection=self._connection, play_context=self._play_context,
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        return copy.run(task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        try:
            items = logic.normalize(self._task.args.get('files', []))
        except logic.InvalidItem as exc:
            raise AnsibleActionFail(str(exc))

        result.update(changed=False, reasons={}, results=[], written=[])
        if not items:
            return result
        scratch = tempfile.mkdtemp(dir=C.DEFAULT_LOCAL_TMP)
        try:
            sources = {index: self._source(index, item, scratch, task_vars)
                       for index, item in enumerate(items) if item['state'] == 'file'}
            checksums = {index: _sha1(path) for index, path in sources.items()}
            drift = self._execute_module(
                module_name='filament.mlflow.drift', module_args={'files': logic.drift_request(items, checksums)},
                task_vars=task_vars)
            if drift.get('failed'):
                raise AnsibleActionFail('could not compare the files with the host: %s' % drift.get('msg', drift))

            results, diffs = [], []
            for index, item, reasons in logic.drifted_items(items, drift):
                result['reasons'][item['dest']] = reasons
                if item['state'] == 'file':
                    one = self._copy(item, sources[index], task_vars)
                else:
                    one = self._execute_module(
                        module_name='ansible.legacy.file', module_args=logic.path_args(item), task_vars=task_vars)
                summary = logic.shown(item, one)
                results.append(summary)
                if one.get('failed'):
                    # A secret item's message may quote its content: show only where it failed.
                    msg = 'could not be written' if item['secret'] else one.get('msg', 'failed')
                    result.update(failed=True, msg='%s: %s' % (item['dest'], msg), results=results)
                    return result
                if summary['changed']:
                    result['changed'] = True
                    result['written'].append(item['dest'])
                    # copy returns one diff or a list of them; file returns one.
                    diff = summary.get('diff') or []
                    diffs.extend(diff if isinstance(diff, list) else [diff])
            result['results'] = results
            if diffs:
                result['diff'] = diffs
            return result
        finally:
            shutil.rmtree(to_bytes(scratch, errors='surrogate_or_strict'), ignore_errors=True)
            self._remove_tmp_path(self._connection._shell.tmpdir)
