# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""filament.mlflow.s3_copy from a real MinIO into a real SeaweedFS (each as its role runs it): MLflow's
artifact layout, a multipart-sized object, content types, a run stopped half-way and resumed, and an
object removed behind the journal's back."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time

import pytest

LARGE = 12 * 1024 * 1024  # above boto3's 8 MiB multipart threshold: the copy goes in parts


def copy_vars(minio, bucket, seaweedfs, journal, **extra):
    values = dict(copy_source_url=minio.url, copy_source_key=minio.access_key, copy_source_secret=minio.secret_key,
                  copy_source_bucket=bucket, copy_destination_url=seaweedfs.url,
                  copy_destination_key=seaweedfs.mlflow_key, copy_destination_secret=seaweedfs.mlflow_secret,
                  copy_destination_bucket=seaweedfs.bucket, copy_journal=str(journal))
    values.update(extra)
    return values


def objects(client, bucket, prefix):
    found = {}
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get('Contents') or []:
            body = client.get_object(Bucket=bucket, Key=item['Key'])
            found[item['Key']] = (hashlib.sha256(body['Body'].read()).hexdigest(), body['ContentType'])
    return found


@pytest.fixture
def artifacts(minio, unique_name):
    """A MinIO bucket laid out as MLflow lays out artifacts: experiment/run/artifacts/..."""
    bucket = unique_name('copy')
    client = minio.client()
    client.create_bucket(Bucket=bucket)
    prefix = bucket + '/'  # the SeaweedFS bucket is shared by the tests: each writes under its own prefix
    keys = {}
    for run in range(6):
        for name, data, kind in (('metrics.json', b'{"loss": %d}' % run, 'application/json'),
                                 ('model/MLmodel', b'flavors: {}\n' * (run + 1), 'text/plain'),
                                 ('plot.png', os.urandom(2048 + run), 'image/png')):
            key = '%s1/run%d/artifacts/%s' % (prefix, run, name)
            client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=kind)
            keys[key] = kind
    client.put_object(Bucket=bucket, Key=prefix + '1/big/artifacts/weights.bin', Body=os.urandom(LARGE))
    client.put_object(Bucket=bucket, Key='.filament-probe/abcd/left', Body=b'not copied')
    return bucket, prefix


def test_every_object_arrives_whole_and_a_second_run_copies_nothing(minio, seaweedfs, artifacts, playbook, tmp_path):
    bucket, prefix = artifacts
    journal = tmp_path / 'journal.jsonl'
    run = playbook('s3_copy.yml', copy_vars(minio, bucket, seaweedfs, journal))
    assert run.rc == 0, run.output
    result = run.result
    assert result['changed'] and result['copied'] == result['objects'] == 19, result
    assert result['errors'] == [] and result['mismatches'] == []
    source = objects(minio.client(), bucket, prefix)
    assert objects(seaweedfs.client(), seaweedfs.bucket, prefix) == source
    assert source[prefix + '1/run0/artifacts/plot.png'][1] == 'image/png'
    assert objects(seaweedfs.client(), seaweedfs.bucket, '.filament-probe/') == {}
    assert len(journal.read_text().splitlines()) == 19
    assert minio.secret_key not in run.output and seaweedfs.mlflow_secret not in run.output

    again = playbook('s3_copy.yml', copy_vars(minio, bucket, seaweedfs, journal))
    assert again.rc == 0, again.output
    assert (again.result['changed'], again.result['copied'], again.result['unchanged']) == (False, 0, 19)

    # An object lost from the destination after the copy is found by the listing and copied again.
    seaweedfs.client().delete_object(Bucket=seaweedfs.bucket, Key=prefix + '1/run3/artifacts/metrics.json')
    healed = playbook('s3_copy.yml', copy_vars(minio, bucket, seaweedfs, journal))
    assert healed.rc == 0 and healed.result['copied'] == 1, healed.output


def test_a_copy_killed_half_way_resumes_where_it_stopped(minio, seaweedfs, artifacts, playbook, tmp_path):
    bucket, prefix = artifacts
    journal = tmp_path / 'journal.jsonl'
    values = copy_vars(minio, bucket, seaweedfs, journal, copy_jobs=1)
    command = playbook.command('s3_copy.yml', values)
    with subprocess.Popen(command, env=playbook.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True) as process:
        deadline = time.monotonic() + 120
        while not (journal.exists() and len(journal.read_text().splitlines()) >= 5):
            assert process.poll() is None and time.monotonic() < deadline, 'the copy ended before it was stopped'
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    done = {json.loads(line)['key'] for line in journal.read_text().splitlines() if line.endswith('}')}
    assert 5 <= len(done) < 19

    resumed = playbook('s3_copy.yml', values)
    assert resumed.rc == 0, resumed.output
    assert resumed.result['unchanged'] >= len(done) and resumed.result['copied'] == 19 - resumed.result['unchanged']
    assert resumed.result['mismatches'] == []
    assert objects(seaweedfs.client(), seaweedfs.bucket, prefix) == objects(minio.client(), bucket, prefix)


def test_a_missing_destination_bucket_is_named(minio, seaweedfs, artifacts, playbook, tmp_path):
    bucket, dummy = artifacts
    run = playbook('s3_copy.yml', copy_vars(minio, bucket, seaweedfs, tmp_path / 'journal',
                                            copy_destination_bucket='nothere', copy_destination_key=seaweedfs.admin_key,
                                            copy_destination_secret=seaweedfs.admin_secret))
    assert run.rc != 0
    assert 'The destination bucket nothere does not exist on %s' % seaweedfs.url in run.result['msg']
