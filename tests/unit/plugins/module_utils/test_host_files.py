# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the item checks and the drift request behind filament.mlflow.files."""

from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import host_files as logic

UNIT = {'dest': '/etc/systemd/system/x.service', 'template': 'x.service.j2', 'owner': 'root', 'group': 'root',
        'mode': '0644', 'validate': 'systemd-analyze verify %s'}
DIR = {'dest': '/etc/x', 'state': 'directory', 'owner': 'root', 'group': 'x', 'mode': '0750'}
GONE = {'dest': '/etc/x/old.conf', 'state': 'absent'}


def test_normalize_fills_in_state_and_secret():
    items = logic.normalize([DIR, UNIT, GONE])
    assert [item['state'] for item in items] == ['directory', 'file', 'absent']
    assert [item['secret'] for item in items] == [False, False, False]
    assert items[1]['template'] == 'x.service.j2'


@pytest.mark.parametrize('items, message', [
    ({'dest': '/x'}, 'files must be a list'),
    (['/x'], 'files[0] must be a dict'),
    ([{'dest': 'etc/x', 'content': ''}], "files[0] (etc/x): dest must be an absolute path"),
    ([{'content': ''}], 'files[0]: dest must be an absolute path'),
    ([{'dest': '/x', 'template': 'a.j2', 'src': 'a'}], 'files[0] (/x): a file needs exactly one of template, src, content, got template, src'),
    ([{'dest': '/x'}], 'a file needs exactly one of template, src, content, got none'),
    ([{'dest': '/x', 'state': 'link', 'src': 'a'}], "state must be one of file, directory, absent, got 'link'"),
    ([{'dest': '/x', 'state': 'directory', 'template': 'a.j2'}], 'template does not apply to state directory'),
    ([{'dest': '/x', 'state': 'absent', 'mode': '0644'}], 'mode does not apply to state absent'),
    ([{'dest': '/x', 'content': '', 'mode': 420}], "files[0] (/x): mode must be a quoted octal string"),
    ([{'dest': '/x', 'content': '', 'owners': 'root'}], 'files[0] (/x): unknown option(s) owners'),
    ([DIR, dict(DIR)], 'files[1] (/etc/x): dest is listed twice'),
])
def test_normalize_names_the_wrong_item(items, message):
    with pytest.raises(logic.InvalidItem) as caught:
        logic.normalize(items)
    assert message in str(caught.value)


def test_drift_request_keys_items_by_index_and_sends_only_checksums():
    items = logic.normalize([DIR, dict(UNIT, secret=True), GONE])
    request = logic.drift_request(items, {1: 'ab' * 20})
    assert request == [
        {'key': '0', 'path': '/etc/x', 'state': 'directory', 'owner': 'root', 'group': 'x', 'mode': '0750'},
        {'key': '1', 'path': UNIT['dest'], 'state': 'file', 'owner': 'root', 'group': 'root', 'mode': '0644',
         'checksum': 'ab' * 20},
        {'key': '2', 'path': GONE['dest'], 'state': 'absent'},
    ]


def test_drifted_items_keeps_the_listed_order_and_reasons():
    items = logic.normalize([DIR, UNIT, GONE])
    found = logic.drifted_items(items, {'drifted': ['2', '0'], 'reasons': {'0': ['missing'], '2': ['exists']}})
    assert [(index, item['dest'], reasons) for index, item, reasons in found] == [
        (0, '/etc/x', ['missing']), (2, '/etc/x/old.conf', ['exists'])]
    assert logic.drifted_items(items, {'drifted': [], 'reasons': {}}) == []


def test_module_arguments():
    unit, = logic.normalize([UNIT])
    assert logic.file_args(unit, '/tmp/rendered') == {
        'src': '/tmp/rendered', 'dest': UNIT['dest'], 'owner': 'root', 'group': 'root', 'mode': '0644',
        'validate': 'systemd-analyze verify %s'}
    gone, = logic.normalize([GONE])
    assert logic.path_args(gone) == {'path': GONE['dest'], 'state': 'absent'}


def test_a_secret_item_never_shows_its_diff():
    plain, secret = logic.normalize([{'dest': '/a', 'content': 'x'}, {'dest': '/b', 'content': 'k', 'secret': True}])
    diff = {'before': 'old', 'after': 'new'}
    assert logic.shown(plain, {'changed': True, 'diff': diff}) == {'dest': '/a', 'changed': True, 'diff': diff}
    assert logic.shown(secret, {'changed': True, 'diff': diff}) == {'dest': '/b', 'changed': True}
