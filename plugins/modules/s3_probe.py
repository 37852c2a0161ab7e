#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_probe
short_description: Check that an S3 endpoint does what MLflow's artifact store relies on
version_added: 0.2.0
description:
  - Tries, against one bucket of an S3 or S3-compatible endpoint (MinIO, SeaweedFS, AWS S3, Ceph ...), each
    thing MLflow's server and client do with their artifacts, and reports what works.
  - "The checks: V(put_get) (an object written and read back), V(list_v2_delimiter) and V(list_v1_delimiter)
    (ListObjectsV2 and ListObjects with a delimiter, as MLflow lists an artifact directory), V(multipart) (a
    multipart upload completed), V(multipart_abort) (one aborted, leaving no upload behind), V(presigned_get)
    and V(presigned_put) (plain HTTP through presigned URLs), V(large_object) (O(large_object_mb) up and down
    with the same sha256) and V(delete) (objects deleted one by one and in a batch)."
  - Everything it writes goes under O(prefix), which is removed at the end (objects and unfinished
    uploads), whatever the checks found. The bucket must exist.
  - Fails, naming each check and what the endpoint answered, when a check of O(require) does not work.
author:
  - Filament MLflow maintainers (@filament)
requirements:
  - boto3
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - filament.mlflow.storage
  - filament.mlflow.storage.s3
attributes:
  check_mode:
    support: partial
    details:
      - In check mode only the checks that write nothing run (the two listings); the others are reported as not
        run.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  bucket:
    description:
      - The bucket to probe; it must exist.
    type: str
    required: true
  prefix:
    description:
      - The key prefix everything the probe writes goes under; a random part is added to it, so that two probes
        never meet. Removed at the end.
    type: str
    default: .filament-probe/
  large_object_mb:
    description:
      - The size of the large object, in MiB; V(0) leaves the V(large_object) check out.
    type: int
    default: 32
  require:
    description:
      - The checks that must work; the module fails when one of them does not. The others are only reported.
    type: list
    elements: str
    default: [put_get, list_v2_delimiter, list_v1_delimiter, multipart, multipart_abort, presigned_get,
              presigned_put, large_object, delete]
"""

EXAMPLES = r"""
- name: Check that the store does what MLflow needs before the servers use it
  filament.mlflow.s3_probe:
    endpoint_url: https://s3.storage.example.com
    region: eu-central-1
    access_key: "{{ mlflow_s3_key }}"
    secret_key: "{{ mlflow_s3_secret }}"
    ca_bundle: /etc/ssl/certs/storage-team-ca.pem
    bucket: mlflow-artifacts
  no_log: true

- name: Only report, and fail on nothing but the basics
  filament.mlflow.s3_probe:
    endpoint_url: http://127.0.0.1:8333
    access_key: mlflow
    secret_key: "{{ seaweedfs_mlflow_secret }}"
    bucket: mlflow
    require: [put_get, list_v2_delimiter, multipart, delete]
  register: probe
"""

RETURN = r"""
checks:
  description: Each check by name, with whether it worked (V(null) when it was not run), what it found and its
    seconds.
  returned: always
  type: dict
  sample:
    multipart: {ok: true, detail: a multipart upload of two parts, completed and read back, seconds: 0.41}
    presigned_put: {ok: false, detail: "an object written through a presigned PUT URL: PUT ... answered 403",
                    seconds: 0.02}
missing:
  description: The checks of O(require) that did not work.
  returned: always
  type: list
  elements: str
  sample: [presigned_put]
cleanup:
  description: What could not be removed under the probe's prefix; empty when everything was.
  returned: always
  type: str
  sample: ""
prefix:
  description: The prefix the probe wrote under (and removed).
  returned: always
  type: str
  sample: .filament-probe/5f0c9a1e/
"""

import secrets
import traceback
import urllib.error

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.urls import open_url

from ansible_collections.filament.mlflow.plugins.module_utils import bucket as storage
from ansible_collections.filament.mlflow.plugins.module_utils import s3_probe as logic

ARGUMENT_SPEC = dict(
    storage.S3_CONNECTION_SPEC,
    bucket=dict(type='str', required=True),
    prefix=dict(type='str', default='.filament-probe/'),
    large_object_mb=dict(type='int', default=32),
    require=dict(type='list', elements='str', default=list(logic.NAMES)),
)


def fetcher(params):
    """Plain HTTP(S) for the presigned URLs, trusting what boto3 trusts."""

    def fetch(method, url, body):
        # No content type, as a client that PUTs bytes sends none: a presigned URL may have signed it.
        try:
            answer = open_url(url, data=body, method=method, headers={'Content-Type': ''}, timeout=60,
                              validate_certs=params['validate_certs'], ca_path=params.get('ca_bundle') or None)
            return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
    return fetch


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_together=[('access_key', 'secret_key')],
        supports_check_mode=True,
    )
    params = module.params
    prefix = params['prefix'] if params['prefix'].endswith('/') else params['prefix'] + '/'
    prefix += secrets.token_hex(4) + '/'
    result = dict(changed=False, checks={}, missing=[], cleanup='', prefix=prefix)

    problem = logic.requirement_problems(params['require'])
    if params['large_object_mb'] < 0:
        problem = 'large_object_mb must be 0 (no large object) or more; got %d.' % params['large_object_mb']
    if 'large_object' in params['require'] and params['large_object_mb'] == 0:
        problem = 'large_object is required, but large_object_mb is 0; set a size or leave it out of require.'
    if problem:
        module.fail_json(msg=problem, **result)
    name_error = storage.bucket_name_error(params['bucket'], 's3')
    if name_error:
        module.fail_json(msg=name_error, **result)
    if not storage.HAS_BOTO3:
        module.fail_json(msg=missing_required_lib('boto3'), exception=storage.BOTO3_IMPORT_ERROR, **result)

    backend = storage.s3_backend(dict(params, name=params['bucket']))
    try:
        if not backend.exists(params['bucket']):
            module.fail_json(msg='The bucket %s does not exist on %s; the probe needs it.'
                             % (params['bucket'], backend.client.meta.endpoint_url), **result)
    except storage.BucketError as exc:
        module.fail_json(msg=str(exc), exception=traceback.format_exc(), **result)

    client = backend.client
    try:
        found = logic.probe(client, params['bucket'], prefix, fetcher(params), params['large_object_mb'] * 1024 * 1024,
                            read_only=module.check_mode)
    finally:
        result['cleanup'] = '' if module.check_mode else logic.cleanup(client, params['bucket'], prefix)
    result['checks'] = found
    result['missing'] = logic.missing(found, params['require'])
    if result['missing']:
        module.fail_json(msg=logic.failure_message(client.meta.endpoint_url, params['bucket'], found, result['missing']),
                         **result)
    if result['cleanup']:
        module.warn('The probe could not remove all it wrote under %s: %s' % (prefix, result['cleanup']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
