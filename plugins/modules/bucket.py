#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bucket
short_description: Make sure an object storage bucket exists, or does not
version_added: 0.1.0
description:
  - Creates or deletes a bucket on S3-compatible storage (MinIO, AWS S3, Ceph ...) or on Google Cloud Storage,
    for example the artifact store of an MLflow tracking server.
  - The bucket name is checked against the provider's naming rules before any request is made.
  - A bucket that still holds objects is deleted only with O(force=true), which deletes the objects first.
  - While the endpoint cannot be reached or answers with a server error (for example a MinIO that is still
    starting), the module tries again, see O(retries) and O(retry_delay).
author:
  - Filament MLflow maintainers (@filament)
requirements:
  - boto3 (O(provider=s3))
  - google-cloud-storage (O(provider=gcs))
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - filament.mlflow.storage
  - filament.mlflow.storage.s3
  - filament.mlflow.storage.gcs
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the bucket's name and state (V(present) or V(absent)) before and after.
  platform:
    platforms: posix
options:
  name:
    description:
      - The bucket's name.
    type: str
    required: true
  state:
    description:
      - Whether the bucket should exist.
    type: str
    choices: [present, absent]
    default: present
  provider:
    description:
      - Where the bucket lives; V(s3) for S3 and S3-compatible servers, V(gcs) for Google Cloud Storage.
    type: str
    choices: [s3, gcs]
    default: s3
  location:
    description:
      - The location of a new Google Cloud Storage bucket, for example V(EUROPE-WEST1).
      - Without it, Google Cloud Storage picks its default (V(US)). Ignored for O(provider=s3), see O(region).
    type: str
  force:
    description:
      - With O(state=absent), delete the bucket even if it holds objects, deleting all of them (and all their
        versions) first.
      - Without it, a bucket that is not empty is left alone and the module fails.
    type: bool
    default: false
notes:
  - Bucket names are shared by every user of a server (and worldwide on AWS S3 and Google Cloud Storage). When the
    name is taken by another account the module fails and says so, rather than reporting success.
seealso:
  - module: filament.mlflow.gcs_credentials
"""

EXAMPLES = r"""
- name: Make sure the MLflow artifact bucket exists on the local MinIO
  filament.mlflow.bucket:
    name: mlflow-artifacts
    endpoint_url: http://127.0.0.1:9000
    access_key: "{{ minio_root_user }}"
    secret_key: "{{ minio_root_password }}"
  no_log: true

- name: Make sure the artifact bucket exists on Google Cloud Storage
  filament.mlflow.bucket:
    name: acme-mlflow-artifacts
    provider: gcs
    credentials_file: /etc/mlflow/gcs-service-account.json
    location: EUROPE-WEST1

- name: Remove a scratch bucket together with everything in it
  filament.mlflow.bucket:
    name: mlflow-scratch
    state: absent
    force: true
    endpoint_url: https://minio.example.org
    ca_bundle: /etc/ssl/certs/internal-ca.pem
    access_key: "{{ minio_root_user }}"
    secret_key: "{{ minio_root_password }}"
  no_log: true
"""

RETURN = r"""
name:
  description: The bucket's name.
  returned: always
  type: str
  sample: mlflow-artifacts
provider:
  description: The storage provider.
  returned: always
  type: str
  sample: s3
state:
  description: The bucket's state after the run (in check mode, the state it would have).
  returned: always
  type: str
  sample: present
created:
  description: Whether the bucket was (or in check mode, would be) created.
  returned: always
  type: bool
  sample: true
deleted:
  description: Whether the bucket was (or in check mode, would be) deleted.
  returned: always
  type: bool
  sample: false
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.filament.mlflow.plugins.module_utils import bucket as logic

ARGUMENT_SPEC = dict(
    logic.S3_CONNECTION_SPEC,
    name=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    provider=dict(type='str', default='s3', choices=['s3', 'gcs']),
    location=dict(type='str'),
    credentials_file=dict(type='path'),
    project=dict(type='str'),
    force=dict(type='bool', default=False),
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_together=[('access_key', 'secret_key')],
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, name=params['name'], provider=params['provider'], created=False, deleted=False)

    if params['retries'] < 0 or params['retry_delay'] < 0:
        module.fail_json(msg='retries and retry_delay must not be negative.', **result)
    name_error = logic.bucket_name_error(params['name'], params['provider'])
    if name_error:
        module.fail_json(msg=name_error, **result)

    if params['provider'] == 's3' and not logic.HAS_BOTO3:
        module.fail_json(msg=missing_required_lib('boto3'), exception=logic.BOTO3_IMPORT_ERROR, **result)
    if params['provider'] == 'gcs' and not logic.HAS_GCS:
        module.fail_json(msg=missing_required_lib('google-cloud-storage'), exception=logic.GCS_IMPORT_ERROR, **result)

    try:
        if params['provider'] == 's3':
            backend = logic.s3_backend(params)
        else:
            backend = logic.gcs_backend(params, os.environ)
        outcome = logic.ensure_bucket(backend, params['name'], params['state'], params['force'], module.check_mode)
    except logic.BucketError as exc:
        module.fail_json(msg=str(exc), exception=traceback.format_exc(), **result)

    diff = outcome.pop('diff')
    result.update(outcome, changed=outcome['created'] or outcome['deleted'])
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
