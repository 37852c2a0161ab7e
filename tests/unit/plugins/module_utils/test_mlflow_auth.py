# -*- coding: utf-8 -*-
from __future__ import annotations

import re

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import mlflow_auth as logic

EXP, MODEL, USER = logic.EXPERIMENT, logic.MODEL, logic.USER
ADMIN_OK = {'name': 'admin', 'exists': True, 'admin': True, 'password_ok': True}


def alice(**changes):
    user = {'name': 'alice', 'password': 'alice-password-1',
            'experiments': [{'name': '7', 'permission': 'MANAGE'}], 'models': [{'name': 'churn', 'permission': 'READ'}]}
    user.update(changes)
    return user


def test_wanted_users_reads_permissions_by_kind():
    wanted = logic.wanted_users('admin', [alice()])
    assert wanted == {'alice': {'admin': False, 'grants': {(EXP, '7'): 'MANAGE', (MODEL, 'churn'): 'READ'}}}


@pytest.mark.parametrize('users, words', [
    ([alice(password='short')], 'users[0]: the password of alice must be at least 12'),
    ([alice(name='admin')], 'admin account'),
    ([alice(), alice()], 'listed twice'),
    ([alice(experiments=[{'name': 'x', 'permission': 'OWNER'}])], 'users[0].experiments[0]: permission must be one of'),
    ([alice(models=[{'name': 'm', 'permission': 'READ'}, {'name': 'm', 'permission': 'EDIT'}])], 'm is listed twice'),
    ([alice(role='x')], 'unknown keys role'),
    ([alice(name=' bob')], 'without surrounding spaces'),
])
def test_wanted_users_names_the_wrong_entry(users, words):
    with pytest.raises(logic.AuthError, match=re.escape(words)):
        logic.wanted_users('admin', users)


def test_a_new_stack_gets_its_admin_users_and_grants():
    admin = {'name': 'admin', 'exists': False, 'admin': False, 'password_ok': False}
    wanted = logic.wanted_users('admin', [alice()])
    steps = logic.plan(admin, wanted, {}, set())
    assert steps == [('create_user', 'admin', True), ('create_user', 'alice', False), ('record', USER, 'alice', ''),
                     ('grant', EXP, 'alice', '7', 'MANAGE'), ('record', EXP, 'alice', '7'),
                     ('grant', MODEL, 'alice', 'churn', 'READ'), ('record', MODEL, 'alice', 'churn')]


def test_nothing_to_do_when_the_stores_hold_what_is_wanted():
    wanted = logic.wanted_users('admin', [alice()])
    current = {'alice': {'admin': False, 'password_ok': True, 'grants': dict(wanted['alice']['grants'])}}
    managed = {(USER, 'alice', ''), (EXP, 'alice', '7'), (MODEL, 'alice', 'churn')}
    assert logic.plan(ADMIN_OK, wanted, current, managed) == []


def test_changed_password_admin_flag_and_permission():
    wanted = logic.wanted_users('admin', [alice(admin=True)])
    current = {'alice': {'admin': False, 'password_ok': False,
                         'grants': {(EXP, '7'): 'READ', (MODEL, 'churn'): 'READ'}}}
    managed = {(USER, 'alice', ''), (EXP, 'alice', '7'), (MODEL, 'alice', 'churn')}
    admin = dict(ADMIN_OK, password_ok=False, admin=False)
    steps = logic.plan(admin, wanted, current, managed)
    assert steps == [('set_password', 'admin'), ('set_admin', 'admin', True), ('set_password', 'alice'),
                     ('set_admin', 'alice', True), ('change', EXP, 'alice', '7', 'MANAGE')]
    assert [logic.describe(step, {'7': 'trials'}) for step in logic.changes(steps)] == [
        'set the password of admin', 'make admin admin', 'set the password of alice', 'make alice admin',
        'change alice on experiment trials to MANAGE']


def test_what_leaves_the_inventory_leaves_mlflow_and_the_rest_stays():
    wanted = logic.wanted_users('admin', [alice(models=[])])
    current = {'alice': {'admin': False, 'password_ok': True, 'grants': {(EXP, '7'): 'MANAGE', (MODEL, 'churn'): 'READ',
                                                                         (EXP, '9'): 'MANAGE'}},
               'bob': {'admin': False, 'password_ok': True, 'grants': {(EXP, '8'): 'EDIT'}}}
    # alice's MANAGE on 9 was granted by MLflow (she made it): not recorded, so kept; carol was made through
    # MLflow's API: not recorded, never looked at.
    managed = {(USER, 'alice', ''), (EXP, 'alice', '7'), (MODEL, 'alice', 'churn'), (USER, 'bob', ''),
               (EXP, 'bob', '8')}
    steps = logic.plan(ADMIN_OK, wanted, current, managed)
    assert steps == [('revoke', MODEL, 'alice', 'churn'), ('forget', MODEL, 'alice', 'churn'),
                     ('forget', EXP, 'bob', '8'), ('delete_user', 'bob'), ('forget', USER, 'bob', '')]
    assert logic.changes(steps) == [('revoke', MODEL, 'alice', 'churn'), ('delete_user', 'bob')]


def test_a_user_made_through_the_api_is_taken_over_when_listed():
    wanted = logic.wanted_users('admin', [alice(experiments=[], models=[])])
    current = {'alice': {'admin': False, 'password_ok': True, 'grants': {}}}
    assert logic.plan(ADMIN_OK, wanted, current, set()) == [('record', USER, 'alice', '')]


def test_a_managed_user_deleted_by_hand_is_forgotten():
    steps = logic.plan(ADMIN_OK, {}, {}, {(USER, 'bob', ''), (EXP, 'bob', '8')})
    assert steps == [('forget', EXP, 'bob', '8'), ('forget', USER, 'bob', '')]
    assert logic.changes(steps) == []


def test_diff_never_holds_a_password():
    wanted = logic.wanted_users('admin', [alice()])
    current = {'alice': {'admin': False, 'password_ok': False, 'grants': {}}}
    steps = logic.plan(ADMIN_OK, wanted, current, set())
    shown = logic.diff(ADMIN_OK, wanted, current, set(), steps, {'7': 'trials'})
    wanted_view = {'admin': False, 'experiments': {'trials': 'MANAGE'}, 'models': {'churn': 'READ'}}
    assert shown['after']['users']['alice'] == wanted_view
    assert shown['after']['passwords_set'] == ['alice']
    assert 'alice-password-1' not in repr(shown)


def test_without_secrets_blanks_passwords_and_uris():
    params = {'admin_password': 'admin-password-1', 'users': [alice()],
              'auth_database_uri': 'mysql+pymysql://mlflow:p%40ss@db/mlflow_auth', 'tracking_uri': ''}
    text = ('mysql+pymysql://mlflow:p%40ss@db/mlflow_auth failed for p@ss, admin-password-1 and alice-password-1')
    assert logic.without_secrets(text, params) == '******** failed for ********, ******** and ********'


class FakeStore:
    """Records which of MLflow's auth store methods apply() calls (their names are MLflow's)."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args))


def test_apply_calls_the_stores_method_for_each_kind():
    client = logic.Client.__new__(logic.Client)
    client._auth = FakeStore()
    client.apply([('grant', EXP, 'alice', '7', 'READ'), ('change', MODEL, 'alice', 'churn', 'EDIT'),
                  ('revoke', MODEL, 'bob', 'churn')], {})
    assert client._auth.calls == [('create_experiment_permission', ('7', 'alice', 'READ')),
                                  ('update_registered_model_permission', ('churn', 'alice', 'EDIT')),
                                  ('delete_registered_model_permission', ('churn', 'bob'))]
