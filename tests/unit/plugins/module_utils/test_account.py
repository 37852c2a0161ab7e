# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the service account behind filament.mlflow.account: what is compared is what is set."""

from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import account as logic


def test_defaults_and_the_two_requests_agree():
    account = logic.normalize({'name': 'minio', 'group': 'minio', 'home': '/var/lib/minio', 'comment': 'MinIO object storage'})
    assert account == {'name': 'minio', 'group': 'minio', 'home': '/var/lib/minio', 'shell': '/usr/sbin/nologin',
                       'comment': 'MinIO object storage', 'locked': True}
    wanted = logic.drift_request(account)
    user = logic.user_args(account)
    assert wanted['groups'] == [{'key': 'group', 'name': 'minio'}]
    compared = wanted['users'][0]
    # Every attribute the user task sets that the host keeps is compared, with the same value.
    for name in ('name', 'group', 'home', 'shell', 'comment'):
        assert compared[name] == user[name]
    assert compared['locked'] is True and user['password'] == '!'
    assert (user['system'], user['create_home']) == (True, False)
    assert logic.group_args(account) == {'name': 'minio', 'system': True, 'state': 'present'}


def test_an_unlocked_account_sets_no_password():
    account = logic.normalize({'name': 'svc', 'group': 'svc', 'home': '/srv/svc', 'locked': False})
    assert 'password' not in logic.user_args(account)
    assert logic.drift_request(account)['users'][0]['locked'] is False


@pytest.mark.parametrize('args, message', [
    ({'name': 'Bad', 'group': 'g', 'home': '/h'}, "name must be a user or group name"),
    ({'name': 'u', 'group': 'g' * 40, 'home': '/h'}, 'group must be a user or group name'),
    ({'name': 'u', 'group': 'g', 'home': 'h'}, "home must be an absolute path, got 'h'"),
    ({'name': 'u', 'group': 'g', 'home': '/h', 'shell': 'bash'}, 'shell must be an absolute path'),
    ({'name': 'u', 'group': 'g', 'home': '/h', 'comment': 'a:b'}, 'comment must be text without ":"'),
    ({'name': 'u', 'group': 'g', 'home': '/h', 'uid': 5}, 'unknown option(s) uid'),
])
def test_a_wrong_account_is_refused(args, message):
    with pytest.raises(logic.InvalidAccount) as caught:
        logic.normalize(args)
    assert message in str(caught.value)
