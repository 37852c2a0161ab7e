# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible_collections.filament.mlflow.plugins.module_utils import minio_user as logic

ROLE_VARS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'minio', 'vars', 'main.yml')


def role_policy(name, bucket='mlflow'):
    """A policy the minio role grants (vars/main.yml), for minio_bucket=bucket."""
    with open(ROLE_VARS, encoding='utf-8') as handle:
        text = handle.read().replace('{{ minio_bucket }}', bucket)
    return yaml.safe_load(text)[name]


def bucket_policy(bucket):
    return role_policy('__minio_mlflow_policy', bucket)


WANTED = dict(name='mlflow', secret_key='s3cret-key', policy_name='mlflow-artifacts',
              policy=bucket_policy('mlflow'), buckets=['mlflow'], state='present')


def current(**changes):
    state = dict(buckets=['mlflow'], policy=bucket_policy('mlflow'),
                 user={'policyName': 'mlflow-artifacts', 'status': 'enabled'}, secret_ok=True)
    state.update(changes)
    return state


def test_the_role_s_bucket_policy_names_only_the_bucket_and_its_objects():
    policy = bucket_policy('artifacts')
    resources = {resource for statement in policy['Statement'] for resource in statement['Resource']}
    assert resources == {'arn:aws:s3:::artifacts', 'arn:aws:s3:::artifacts/*'}
    actions = {action for statement in policy['Statement'] for action in statement['Action']}
    # Objects, listing and multipart uploads; never a bucket of its own, the bucket list or the admin API.
    assert {'s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts', 's3:ListBucketMultipartUploads'} <= actions
    assert not [action for action in actions if action.startswith('admin:') or action in (
        's3:CreateBucket', 's3:DeleteBucket', 's3:ListAllMyBuckets', 's3:PutBucketPolicy', 's3:*')]


def test_the_role_s_metrics_policy_reads_metrics_only():
    assert role_policy('__minio_metrics_policy')['Statement'] == [
        {'Effect': 'Allow', 'Action': ['admin:Prometheus']}]


def test_canonical_ignores_order_and_single_values():
    one = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['s3:PutObject', 's3:GetObject'], 'Resource': 'arn:aws:s3:::b/*'},
        {'Effect': 'Allow', 'Action': 's3:ListBucket', 'Resource': ['arn:aws:s3:::b']}]}
    other = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['s3:ListBucket'], 'Resource': ['arn:aws:s3:::b']},
        {'Resource': ['arn:aws:s3:::b/*'], 'Effect': 'Allow', 'Action': ['s3:GetObject', 's3:PutObject']}]}
    assert logic.canonical(one) == logic.canonical(other)
    assert logic.canonical(json.dumps(one)) == logic.canonical(other)
    wider = json.loads(json.dumps(other))
    wider['Statement'][0]['Resource'] = ['arn:aws:s3:::*']
    assert logic.canonical(wider) != logic.canonical(one)


@pytest.mark.parametrize('policy, message', [
    (['not', 'a', 'mapping'], 'policy must be a mapping'),
    ({'Version': '2012-10-17'}, 'non-empty Statement list'),
    ({'Statement': ['Allow']}, 'every Statement of policy must be a mapping'),
])
def test_canonical_names_a_malformed_policy(policy, message):
    with pytest.raises(logic.MinioUserError, match=message):
        logic.canonical(policy)


def test_attached_reads_minio_comma_separated_list():
    assert logic.attached({'policyName': 'b,a'}) == ['a', 'b']
    assert logic.attached({'policyName': ''}) == []
    assert logic.attached(None) == []


def test_nothing_to_do_when_everything_is_in_place():
    steps, diff = logic.plan(current(), WANTED)
    assert steps == []
    assert diff['before'] == diff['after']
    assert logic.summary(current(), steps) == dict(created=False, secret_changed=False, buckets_created=[],
                                                   policy_changed=False, removed=False)


def test_a_new_minio_gets_bucket_policy_user_and_attachment_in_that_order():
    fresh = current(buckets=[], policy=None, user=None, secret_ok=False)
    steps, diff = logic.plan(fresh, WANTED)
    assert steps == [('make_bucket', 'mlflow'), ('put_policy', 'mlflow-artifacts'), ('add_user', 'mlflow'),
                     ('attach_policy', 'mlflow-artifacts')]
    assert diff['before']['user'] == 'absent' and diff['after']['user'] == 'present'
    assert logic.summary(fresh, steps)['created'] is True
    assert logic.summary(fresh, steps)['buckets_created'] == ['mlflow']


def test_a_changed_secret_or_a_disabled_user_is_set_again():
    steps, diff = logic.plan(current(secret_ok=False), WANTED)
    assert steps == [('add_user', 'mlflow')]
    assert diff['after']['secret'] == 'changed'
    assert logic.summary(current(secret_ok=False), steps) == dict(
        created=False, secret_changed=True, buckets_created=[], policy_changed=False, removed=False)
    # The diff never holds a secret.
    assert 's3cret-key' not in json.dumps(diff)


def test_a_policy_that_grants_more_is_written_again():
    wider = bucket_policy('mlflow')
    wider['Statement'][1]['Action'].append('s3:*')
    steps, diff = logic.plan(current(policy=wider), WANTED)
    assert steps == [('put_policy', 'mlflow-artifacts')]
    assert diff['after']['policy_document'] == 'mlflow-artifacts (changed)'


def test_other_policies_are_detached():
    user = {'policyName': 'consoleAdmin,mlflow-artifacts,readwrite', 'status': 'enabled'}
    steps, dummy = logic.plan(current(user=user), WANTED)
    assert steps == [('detach_policies', ['consoleAdmin', 'readwrite'])]
    steps, dummy = logic.plan(current(user={'policyName': 'readwrite', 'status': 'enabled'}), WANTED)
    assert steps == [('detach_policies', ['readwrite']), ('attach_policy', 'mlflow-artifacts')]


def test_absent_removes_the_user_and_its_policy_but_never_a_bucket():
    wanted = dict(WANTED, state='absent', secret_key=None, policy=None)
    steps, diff = logic.plan(current(), wanted)
    assert steps == [('remove_user', 'mlflow'), ('remove_policy', 'mlflow-artifacts')]
    assert diff['after']['buckets'] == ['mlflow']
    assert logic.summary(current(), steps)['removed'] is True
    assert logic.plan(current(user=None, policy=None), wanted)[0] == []
