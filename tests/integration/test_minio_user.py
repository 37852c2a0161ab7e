# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.minio_user against a real MinIO: the key it makes works in its bucket and
nowhere else, checked with boto3 (the S3 client MLflow uses) and minio-py's admin client."""

from __future__ import annotations

import io
import json
import secrets

import botocore.exceptions
import pytest
import yaml
from minio import MinioAdmin
from minio.credentials import StaticProvider
from minio.error import MinioAdminException

from conftest import REPO  # pylint: disable=import-error


def bucket_policy(bucket, objects=None):
    """The policy the minio role grants MLflow (roles/minio/vars/main.yml), for minio_bucket=bucket;
    objects: another resource for its object statement (a widened policy)."""
    text = (REPO / 'roles' / 'minio' / 'vars' / 'main.yml').read_text().replace('{{ minio_bucket }}', bucket)
    policy = yaml.safe_load(text)['__minio_mlflow_policy']
    if objects:
        policy['Statement'][1]['Resource'] = [objects]
    return policy


def user_vars(minio, name, secret, bucket, **extra):
    values = dict(user_name=name, user_secret_key=secret, user_policy_name=name + '-artifacts',
                  user_policy=bucket_policy(bucket), user_buckets=[bucket],
                  user_endpoint=minio.url[len('http://'):], user_admin_access_key=minio.access_key,
                  user_admin_secret_key=minio.secret_key)
    values.update(extra)
    return values


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response['Error']['Code']


def test_the_key_works_in_its_bucket_and_nowhere_else(minio, playbook, unique_name):
    bucket, other, name = unique_name('art'), unique_name('other'), unique_name('user')
    secret = secrets.token_urlsafe(24)
    minio.client().create_bucket(Bucket=other)
    minio.client().put_object(Bucket=other, Key='private.txt', Body=b'not for mlflow')

    run = playbook('minio_user.yml', user_vars(minio, name, secret, bucket), check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result['changed'] and run.result['created'] and run.result['buckets_created'] == [bucket]
    assert secret not in run.output
    assert bucket not in [b['Name'] for b in minio.client().list_buckets()['Buckets']]  # check mode changed nothing

    run = playbook('minio_user.yml', user_vars(minio, name, secret, bucket))
    assert run.rc == 0, run.output
    assert run.result['created'] and run.result['policy_changed'] and run.result['buckets_created'] == [bucket]
    assert secret not in run.output and minio.secret_key not in run.output

    again = playbook('minio_user.yml', user_vars(minio, name, secret, bucket))
    assert again.rc == 0 and again.result['changed'] is False, again.output

    mlflow = minio.client(aws_access_key_id=name, aws_secret_access_key=secret)
    # What MLflow does: write, list, read and delete objects, and a multipart upload.
    mlflow.put_object(Bucket=bucket, Key='1/abc/artifacts/model.pkl', Body=b'weights')
    assert [o['Key'] for o in mlflow.list_objects_v2(Bucket=bucket, Prefix='1/')['Contents']] == ['1/abc/artifacts/model.pkl']
    assert mlflow.get_object(Bucket=bucket, Key='1/abc/artifacts/model.pkl')['Body'].read() == b'weights'
    upload = mlflow.create_multipart_upload(Bucket=bucket, Key='1/abc/artifacts/big.bin')
    part = mlflow.upload_part(Bucket=bucket, Key='1/abc/artifacts/big.bin', UploadId=upload['UploadId'],
                              PartNumber=1, Body=io.BytesIO(b'x' * (5 << 20)))
    assert [p['PartNumber'] for p in mlflow.list_parts(Bucket=bucket, Key='1/abc/artifacts/big.bin',
                                                       UploadId=upload['UploadId'])['Parts']] == [1]
    mlflow.complete_multipart_upload(Bucket=bucket, Key='1/abc/artifacts/big.bin', UploadId=upload['UploadId'],
                                     MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
    mlflow.delete_object(Bucket=bucket, Key='1/abc/artifacts/model.pkl')

    # Nothing else: no other bucket's objects, no new bucket, no bucket settings, no admin API.
    assert [b['Name'] for b in mlflow.list_buckets()['Buckets']] == [bucket]
    assert refused(lambda: mlflow.list_objects_v2(Bucket=other)) == 'AccessDenied'
    assert refused(lambda: mlflow.get_object(Bucket=other, Key='private.txt')) == 'AccessDenied'
    assert refused(lambda: mlflow.put_object(Bucket=other, Key='x', Body=b'x')) == 'AccessDenied'
    assert refused(lambda: mlflow.create_bucket(Bucket=unique_name('new'))) == 'AccessDenied'
    assert refused(lambda: mlflow.delete_bucket(Bucket=bucket)) == 'AccessDenied'
    assert refused(lambda: mlflow.put_bucket_policy(Bucket=bucket, Policy='{}')) == 'AccessDenied'
    admin = MinioAdmin(endpoint=minio.url[len('http://'):], credentials=StaticProvider(name, secret), secure=False)
    for call in (admin.user_list, admin.policy_list, lambda: admin.user_add('intruder', 'intruder-secret')):
        with pytest.raises(MinioAdminException) as caught:
            call()
        assert caught.value._code == '403'


def test_a_changed_secret_takes_effect_and_a_widened_policy_is_put_back(minio, playbook, unique_name):
    bucket, name = unique_name('art'), unique_name('user')
    first, second = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    assert playbook('minio_user.yml', user_vars(minio, name, first, bucket)).rc == 0

    run = playbook('minio_user.yml', user_vars(minio, name, second, bucket), diff=True)
    assert run.rc == 0, run.output
    assert run.result['secret_changed'] and not run.result['created'] and not run.result['policy_changed']
    assert first not in run.output and second not in run.output
    assert refused(lambda: minio.client(aws_access_key_id=name, aws_secret_access_key=first)
                   .list_objects_v2(Bucket=bucket)) == 'SignatureDoesNotMatch'
    minio.client(aws_access_key_id=name, aws_secret_access_key=second).list_objects_v2(Bucket=bucket)

    # Someone widens the policy and attaches readwrite by hand: the next run puts both back.
    root = MinioAdmin(endpoint=minio.url[len('http://'):], credentials=StaticProvider(minio.access_key, minio.secret_key),
                      secure=False)
    root.policy_add(name + '-artifacts', policy=bucket_policy(bucket, objects='arn:aws:s3:::*'))
    root.attach_policy(['readwrite'], user=name)
    run = playbook('minio_user.yml', user_vars(minio, name, second, bucket))
    assert run.rc == 0 and run.result['policy_changed'] and run.result['changed'], run.output
    assert json.loads(root.user_info(name))['policyName'] == name + '-artifacts'

    run = playbook('minio_user.yml', user_vars(minio, name, second, bucket, user_state='absent'))
    assert run.rc == 0 and run.result['removed'], run.output
    assert refused(lambda: minio.client(aws_access_key_id=name, aws_secret_access_key=second)
                   .list_objects_v2(Bucket=bucket)) == 'InvalidAccessKeyId'
    assert bucket in [b['Name'] for b in minio.client().list_buckets()['Buckets']]


def test_wrong_admin_credentials_and_a_dead_endpoint_are_named(minio, playbook, unique_name):
    name, bucket = unique_name('user'), unique_name('art')
    run = playbook('minio_user.yml', user_vars(minio, name, 'a-good-secret', bucket,
                                               user_admin_secret_key='not-the-root-secret'))
    assert run.rc != 0
    assert 'refused the admin credentials' in run.result['msg'] and 'admin_secret_key' in run.result['msg']
    assert 'not-the-root-secret' not in run.output and 'a-good-secret' not in run.output

    run = playbook('minio_user.yml', user_vars(minio, name, 'a-good-secret', bucket, user_endpoint='127.0.0.1:1',
                                               user_timeout=3))
    assert run.rc != 0 and 'cannot be reached' in run.result['msg'], run.output

    run = playbook('minio_user.yml', user_vars(minio, name, 'short', bucket))
    assert run.rc != 0 and 'secret_key must be 8 to 40 characters' in run.result['msg']
