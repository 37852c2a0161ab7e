#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: minio_user
short_description: Make sure a MinIO user may do exactly what one policy allows
version_added: 0.1.0
description:
  - Keeps a MinIO user (an access key and its secret) with exactly one canned policy attached, through MinIO's
    admin API with the MinIO client library (minio-py). Other policies attached to the user are detached.
  - The policy is written when it is missing or grants something else than O(policy).
  - MinIO never shows a secret; the module tries the user's key with O(secret_key) and sets the secret again
    when MinIO refuses it, so a changed O(secret_key) takes effect. A disabled user is enabled.
  - The buckets of O(buckets) are made when missing (the policy can name a bucket the user cannot make itself).
    They are never removed, not even with O(state=absent).
  - It runs with the root (admin) credentials, on a host that reaches MinIO; they are never returned or logged.
author:
  - Filament MLflow maintainers (@filament)
requirements:
  - minio (the MinIO client library, 7.2 or later)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the user's state, its policies, whether its secret changes and the buckets, never a secret.
  platform:
    platforms: posix
options:
  name:
    description:
      - The user's access key.
    type: str
    required: true
  secret_key:
    description:
      - The user's secret key, 8 to 40 characters. Required with O(state=present).
    type: str
  policy_name:
    description:
      - The name of the canned policy attached to the user. Defaults to O(name).
    type: str
  policy:
    description:
      - The policy document (IAM JSON, as a mapping). Required with O(state=present).
    type: dict
  buckets:
    description:
      - Buckets made when missing, before the user is set.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) keeps the user and its policy; V(absent) removes both.
    type: str
    choices: [present, absent]
    default: present
  endpoint:
    description:
      - MinIO's S3 API as V(host:port).
    type: str
    required: true
  secure:
    description:
      - Whether MinIO serves HTTPS.
    type: bool
    default: false
  validate_certs:
    description:
      - Whether to check MinIO's certificate (with O(secure=true)).
    type: bool
    default: true
  ca_bundle:
    description:
      - A CA bundle on the host to check MinIO's certificate with, instead of the library's own.
    type: path
  admin_access_key:
    description:
      - The root (or an admin) user's access key.
    type: str
    required: true
  admin_secret_key:
    description:
      - The root (or an admin) user's secret key.
    type: str
    required: true
  timeout:
    description:
      - Seconds to wait for MinIO to connect and to answer each request.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: A key for MLflow that works in its own bucket and nowhere else
  filament.mlflow.minio_user:
    name: mlflow
    secret_key: "{{ vault_minio_mlflow_password }}"
    policy_name: mlflow-artifacts
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: [s3:GetBucketLocation, s3:ListBucket, s3:ListBucketMultipartUploads]
          Resource: ["arn:aws:s3:::mlflow"]
        - Effect: Allow
          Action: [s3:AbortMultipartUpload, s3:DeleteObject, s3:GetObject, s3:ListMultipartUploadParts, s3:PutObject]
          Resource: ["arn:aws:s3:::mlflow/*"]
    buckets: [mlflow]
    endpoint: 127.0.0.1:9000
    admin_access_key: "{{ minio_root_user }}"
    admin_secret_key: "{{ minio_root_password }}"
  no_log: true

- name: Remove a user that is no longer used, and its policy
  filament.mlflow.minio_user:
    name: old-pipeline
    state: absent
    endpoint: 127.0.0.1:9000
    admin_access_key: "{{ minio_root_user }}"
    admin_secret_key: "{{ minio_root_password }}"
"""

RETURN = r"""
name:
  description: The user's access key.
  returned: always
  type: str
  sample: mlflow
created:
  description: Whether the user was (or in check mode, would be) created.
  returned: always
  type: bool
  sample: false
secret_changed:
  description: Whether the user's secret was (or would be) set again, because MinIO refused O(secret_key) or the user was disabled.
  returned: always
  type: bool
  sample: false
policy_changed:
  description: Whether the policy was (or would be) written or removed.
  returned: always
  type: bool
  sample: true
buckets_created:
  description: The buckets that were (or would be) made.
  returned: always
  type: list
  elements: str
  sample: [mlflow]
removed:
  description: Whether the user was (or would be) removed.
  returned: always
  type: bool
  sample: false
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.filament.mlflow.plugins.module_utils import minio_user as logic

ARGUMENT_SPEC = dict(
    name=dict(type='str', required=True),
    secret_key=dict(type='str', no_log=True),
    policy_name=dict(type='str'),
    policy=dict(type='dict'),
    buckets=dict(type='list', elements='str', default=[]),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    endpoint=dict(type='str', required=True),
    secure=dict(type='bool', default=False),
    validate_certs=dict(type='bool', default=True),
    ca_bundle=dict(type='path'),
    admin_access_key=dict(type='str', required=True, no_log=False),
    admin_secret_key=dict(type='str', required=True, no_log=True),
    timeout=dict(type='int', default=30),
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[('state', 'present', ('secret_key', 'policy'))],
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, name=params['name'], created=False, secret_changed=False, policy_changed=False,
                  buckets_created=[], removed=False)
    if not logic.HAS_MINIO:
        module.fail_json(msg=missing_required_lib('minio'), exception=logic.MINIO_IMPORT_ERROR, **result)
    if params['state'] == 'present' and not 8 <= len(params['secret_key']) <= 40:
        module.fail_json(msg='secret_key must be 8 to 40 characters (MinIO\'s rule).', **result)
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be a positive number of seconds.', **result)

    wanted = dict(name=params['name'], secret_key=params['secret_key'], policy=params['policy'],
                  policy_name=params['policy_name'] or params['name'], buckets=params['buckets'],
                  state=params['state'])
    try:
        if wanted['policy'] is not None:
            logic.canonical(wanted['policy'])
        client = logic.Client(params['endpoint'], params['admin_access_key'], params['admin_secret_key'],
                              secure=params['secure'], validate_certs=params['validate_certs'],
                              ca_bundle=params['ca_bundle'], timeout=params['timeout'])
        current = client.read(wanted)
        steps, diff = logic.plan(current, wanted)
        if steps and not module.check_mode:
            client.apply(steps, wanted)
    except logic.MinioUserError as exc:
        module.fail_json(msg=str(exc), exception=traceback.format_exc(), **result)

    result.update(logic.summary(current, steps), changed=bool(steps))
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
