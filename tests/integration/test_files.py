# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.files through ansible-playbook, on the local filesystem."""

from __future__ import annotations

import grp
import os
import pwd
import stat

ME = pwd.getpwuid(os.geteuid()).pw_name
MY_GROUP = grp.getgrgid(os.getegid()).gr_name
SECRET = 'k3y-' + 'x' * 24


def items(root):
    return [
        {'dest': str(root), 'state': 'directory', 'owner': ME, 'group': MY_GROUP, 'mode': '0750'},
        {'dest': str(root / 'greeting.conf'), 'template': 'greeting.conf.j2', 'owner': ME, 'group': MY_GROUP,
         'mode': '0644', 'validate': 'grep -q "^greeting = " %s'},
        {'dest': str(root / 'token'), 'content': SECRET + '\n', 'mode': '0600', 'secret': True},
        {'dest': str(root / 'stale.conf'), 'state': 'absent'},
    ]


def mode_of(path):
    return '%04o' % stat.S_IMODE(path.stat().st_mode)


def test_writes_what_differs_then_has_nothing_to_do(playbook, tmp_path):
    root = tmp_path / 'etc'
    params = dict(files_items=items(root), files_greeting='hello')

    run = playbook('files.yml', params, diff=True)
    assert run.rc == 0, run.output
    assert run.result['changed'] is True
    assert run.result['written'] == [str(root), str(root / 'greeting.conf'), str(root / 'token')]
    assert (root / 'greeting.conf').read_text() == '# written by filament.mlflow.files\ngreeting = hello\n'
    assert (root / 'token').read_text() == SECRET + '\n'
    assert (mode_of(root), mode_of(root / 'greeting.conf'), mode_of(root / 'token')) == ('0750', '0644', '0600')
    # The plain file's diff is shown, the secret's is not.
    assert 'greeting = hello' in run.output
    assert SECRET not in run.output

    again = playbook('files.yml', params, diff=True)
    assert again.rc == 0, again.output
    assert again.result['changed'] is False
    assert again.result['results'] == [] and again.result['reasons'] == {}


def test_repairs_drift_made_by_hand_and_removes_what_must_be_absent(playbook, tmp_path):
    root = tmp_path / 'etc'
    params = dict(files_items=items(root), files_greeting='hello')
    assert playbook('files.yml', params).rc == 0
    (root / 'greeting.conf').write_text('greeting = edited\n')
    (root / 'token').chmod(0o644)
    (root / 'stale.conf').write_text('old\n')

    run = playbook('files.yml', params)
    assert run.rc == 0, run.output
    assert run.result['written'] == [str(root / 'greeting.conf'), str(root / 'token'), str(root / 'stale.conf')]
    reasons = run.result['reasons']
    assert any('content' in reason for reason in reasons[str(root / 'greeting.conf')])
    assert any('mode' in reason for reason in reasons[str(root / 'token')])
    assert (root / 'greeting.conf').read_text().endswith('greeting = hello\n')
    assert mode_of(root / 'token') == '0600'
    assert not (root / 'stale.conf').exists()


def test_check_mode_reports_without_writing(playbook, tmp_path):
    root = tmp_path / 'etc'
    params = dict(files_items=items(root), files_greeting='hello')
    assert playbook('files.yml', params).rc == 0
    (root / 'greeting.conf').write_text('greeting = edited\n')

    run = playbook('files.yml', dict(params, files_greeting='changed'), check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result['changed'] is True
    assert run.result['written'] == [str(root / 'greeting.conf')]
    assert 'greeting = changed' in run.output
    assert (root / 'greeting.conf').read_text() == 'greeting = edited\n'


def test_a_file_that_fails_validation_leaves_the_old_one_and_names_the_path(playbook, tmp_path):
    root = tmp_path / 'etc'
    params = dict(files_items=items(root), files_greeting='hello')
    assert playbook('files.yml', params).rc == 0
    bad = items(root)
    bad[1]['validate'] = 'grep -q "^greeting = bye" %s'

    run = playbook('files.yml', dict(files_items=bad, files_greeting='hello again'))
    assert run.rc != 0
    assert run.result['failed'] is True
    assert run.result['msg'].startswith(str(root / 'greeting.conf') + ': ')
    assert 'failed to validate' in run.result['msg']
    assert (root / 'greeting.conf').read_text().endswith('greeting = hello\n')


def test_a_wrong_item_fails_before_anything_is_written(playbook, tmp_path):
    root = tmp_path / 'etc'
    wrong = items(root) + [{'dest': str(root / 'x'), 'template': 'greeting.conf.j2', 'content': 'x'}]

    run = playbook('files.yml', dict(files_items=wrong, files_greeting='hello'))
    assert run.rc != 0
    assert 'files[4] (%s): a file needs exactly one of template, src, content, got template, content' % (root / 'x') \
        in run.result['msg']
    assert not root.exists()


def test_a_failed_secret_write_does_not_quote_it(playbook, tmp_path):
    root = tmp_path / 'etc'
    secret = [{'dest': str(root / 'missing-dir' / 'token'), 'content': SECRET, 'secret': True,
               'validate': 'false %s'}]

    run = playbook('files.yml', dict(files_items=secret, files_greeting='hello'))
    assert run.rc != 0
    assert run.result['msg'] == '%s: could not be written' % (root / 'missing-dir' / 'token')
    assert SECRET not in run.output
