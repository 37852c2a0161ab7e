# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.bucket against a real MinIO, checked with boto3."""

from __future__ import annotations

import concurrent.futures
import json
import secrets
import time

import boto3
import botocore.exceptions

from conftest import free_port, start_minio, stop  # pylint: disable=import-error


def exists(minio, name):
    try:
        minio.client().head_bucket(Bucket=name)
    except botocore.exceptions.ClientError as exc:
        if exc.response['Error']['Code'] in ('404', 'NoSuchBucket'):
            return False
        raise
    return True


def s3_vars(minio, name, **extra):
    values = dict(bucket_name=name, bucket_endpoint_url=minio.url, bucket_access_key=minio.access_key,
                  bucket_secret_key=minio.secret_key, bucket_retries=2, bucket_retry_delay=0.5)
    values.update(extra)
    return values


def test_present_absent_and_idempotence(minio, playbook, unique_name):
    name = unique_name()

    run = playbook('bucket.yml', s3_vars(minio, name), check=True)
    assert run.rc == 0, run.output
    assert run.result['changed'] is True and run.result['created'] is True
    assert not exists(minio, name), 'check mode must not create the bucket'

    run = playbook('bucket.yml', s3_vars(minio, name))
    assert run.rc == 0, run.output
    assert (run.result['changed'], run.result['created'], run.result['state']) == (True, True, 'present')
    assert exists(minio, name)

    run = playbook('bucket.yml', s3_vars(minio, name))
    assert run.rc == 0 and run.result['changed'] is False and run.result['created'] is False

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent'), check=True)
    assert run.rc == 0 and run.result['changed'] is True and run.result['deleted'] is True
    assert exists(minio, name), 'check mode must not delete the bucket'

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent'))
    assert run.rc == 0 and run.result['changed'] is True and run.result['deleted'] is True
    assert not exists(minio, name)

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent'))
    assert run.rc == 0 and run.result['changed'] is False and run.result['state'] == 'absent'


def test_diff(minio, playbook, unique_name):
    name = unique_name()
    run = playbook('bucket.yml', s3_vars(minio, name), check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result['diff'] == {'before': {'name': name, 'state': 'absent'}, 'after': {'name': name, 'state': 'present'}}
    text = playbook('bucket.yml', s3_vars(minio, name), diff=True, json_output=False)
    assert text.rc == 0 and '-    "state": "absent"' in text.stdout and '+    "state": "present"' in text.stdout


def test_non_empty_bucket_needs_force(minio, playbook, unique_name):
    name = unique_name()
    client = minio.client()
    client.create_bucket(Bucket=name)
    for key in ('model/MLmodel', 'model/weights.bin', 'metrics.json'):
        client.put_object(Bucket=name, Key=key, Body=b'artifact')

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent'))
    assert run.rc != 0
    assert run.result['failed'] is True and 'is not empty' in run.result['msg'] and 'force=true' in run.result['msg']
    assert client.list_objects_v2(Bucket=name)['KeyCount'] == 3

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent', bucket_force=True), check=True)
    assert run.rc == 0 and run.result['changed'] is True
    assert client.list_objects_v2(Bucket=name)['KeyCount'] == 3

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent', bucket_force=True))
    assert run.rc == 0 and run.result['deleted'] is True
    assert not exists(minio, name)


def test_force_removes_every_version(minio, playbook, unique_name):
    name = unique_name()
    client = minio.client()
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={'Status': 'Enabled'})
    client.put_object(Bucket=name, Key='a', Body=b'1')
    client.put_object(Bucket=name, Key='a', Body=b'2')
    client.delete_object(Bucket=name, Key='a')  # leaves two versions and a delete marker

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent'))
    assert run.rc != 0 and 'is not empty' in run.result['msg']
    run = playbook('bucket.yml', s3_vars(minio, name, bucket_state='absent', bucket_force=True))
    assert run.rc == 0, run.output
    assert not exists(minio, name)


def test_wrong_credentials(minio, playbook, unique_name):
    name = unique_name()
    run = playbook('bucket.yml', s3_vars(minio, name, bucket_secret_key='not-the-secret-key', bucket_retries=5,
                                         bucket_retry_delay=10))
    assert run.rc != 0
    assert 'rejected the credentials (SignatureDoesNotMatch)' in run.result['msg']
    assert 'check access_key and secret_key' in run.result['msg']
    assert run.duration < 60, 'credentials errors must not be retried'
    assert not exists(minio, name)

    run = playbook('bucket.yml', s3_vars(minio, name, bucket_access_key='nosuchuser', bucket_secret_key='whatever12'))
    assert run.rc != 0 and 'rejected the credentials (InvalidAccessKeyId)' in run.result['msg']


def test_unreachable_endpoint(playbook, unique_name):
    url = 'http://127.0.0.1:%d' % free_port()
    run = playbook('bucket.yml', dict(bucket_name=unique_name(), bucket_endpoint_url=url, bucket_access_key='unreachable-key',
                                      bucket_secret_key='bbbbbbbb', bucket_retries=2, bucket_retry_delay=0.5))
    assert run.rc != 0
    assert 'storage endpoint %s is unreachable: 3 attempt(s) over' % url in run.result['msg']
    assert 'Check that the server is running' in run.result['msg']


def test_invalid_name_fails_before_any_request(playbook):
    # The endpoint does not exist and would take a minute of retries: the name check comes first.
    url = 'http://127.0.0.1:%d' % free_port()
    run = playbook('bucket.yml', dict(bucket_name='MLflow_Artifacts', bucket_endpoint_url=url, bucket_access_key='unreachable-key',
                                      bucket_secret_key='bbbbbbbb', bucket_retries=6, bucket_retry_delay=10))
    assert run.rc != 0
    assert "invalid bucket name 'MLflow_Artifacts' for provider s3" in run.result['msg']
    assert 'lowercase letters' in run.result['msg']
    assert run.duration < 50


def restricted_credentials(minio, prefix):
    """Temporary credentials (MinIO STS AssumeRole) whose session policy allows only buckets named prefix-*."""
    sts = boto3.session.Session().client('sts', endpoint_url=minio.url, region_name='us-east-1',
                                         aws_access_key_id=minio.access_key, aws_secret_access_key=minio.secret_key)
    policy = {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Action': ['s3:*'],
        'Resource': ['arn:aws:s3:::%s-*' % prefix, 'arn:aws:s3:::%s-*/*' % prefix]}]}
    answer = sts.assume_role(RoleArn='arn:minio:iam:::role/filament-tests', RoleSessionName='filament-tests',
                             Policy=json.dumps(policy), DurationSeconds=900)
    return answer['Credentials']


def test_bucket_of_another_account(minio, playbook, unique_name):
    """A bucket the root account made, seen with credentials that may only touch `mine-*` buckets."""
    theirs = unique_name('theirs')
    minio.client().create_bucket(Bucket=theirs)
    creds = restricted_credentials(minio, 'mine')
    restricted = dict(bucket_access_key=creds['AccessKeyId'], bucket_secret_key=creds['SecretAccessKey'],
                      bucket_session_token=creds['SessionToken'])

    run = playbook('bucket.yml', s3_vars(minio, theirs, **restricted))
    assert run.rc != 0
    assert "may not access bucket '%s'" % theirs in run.result['msg'] and 'another account' in run.result['msg']

    run = playbook('bucket.yml', s3_vars(minio, theirs, bucket_state='absent', bucket_force=True, **restricted))
    assert run.rc != 0 and 'another account' in run.result['msg']
    assert exists(minio, theirs)

    mine = unique_name('mine')
    run = playbook('bucket.yml', s3_vars(minio, mine, **restricted))
    assert run.rc == 0 and run.result['created'] is True, run.output
    assert exists(minio, mine)


def test_waits_for_a_server_that_is_still_starting(playbook, unique_name, tmp_path):
    """The module starts first; MinIO comes up on its port seconds later, and the bucket is made."""
    port = free_port()
    access_key, secret_key = 'late' + secrets.token_hex(4), secrets.token_urlsafe(24)
    name = unique_name()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(playbook, 'bucket.yml', dict(
            bucket_name=name, bucket_endpoint_url='http://127.0.0.1:%d' % port, bucket_access_key=access_key,
            bucket_secret_key=secret_key, bucket_retries=60, bucket_retry_delay=0.5))
        time.sleep(4)
        assert not future.done(), 'the module should still be waiting for the endpoint'
        server, log = start_minio(tmp_path / 'late-minio', port=port, credentials=(access_key, secret_key))
        try:
            run = future.result(timeout=180)
            assert run.rc == 0, run.output + log.read_text()
            assert run.result['created'] is True
            assert access_key not in run.output and secret_key not in run.output
            assert server.client().head_bucket(Bucket=name)['ResponseMetadata']['HTTPStatusCode'] == 200
        finally:
            stop(server.process)


def test_secrets_stay_out_of_verbose_output(minio, playbook, unique_name):
    name = unique_name()
    for variables in (s3_vars(minio, name), s3_vars(minio, name, bucket_secret_key=minio.secret_key[::-1])):
        run = playbook('bucket.yml', variables, diff=True, verbosity=3, json_output=False)
        assert 'filament.mlflow.bucket' in run.output
        assert minio.secret_key not in run.output and minio.secret_key[::-1] not in run.output
        assert minio.access_key not in run.output
