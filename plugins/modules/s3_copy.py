#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_copy
short_description: Copy every object of one S3 bucket into another, resumable and verified
version_added: 0.2.0
description:
  - Copies the objects of a bucket (or of a prefix of it) on one S3 endpoint into a bucket on another (MinIO to
    SeaweedFS, a lab store to AWS S3 ...), for example to move MLflow's artifacts to another store.
  - Each object is streamed, never held whole in memory, with its content type and metadata. Its sha256 is taken
    on the way, and it is read back from the destination; it counts as copied only when the bytes read back have
    the same size and sha256.
  - Every verified object is written to O(journal) at once. A copy stopped anywhere (a lost connection, a killed
    run) starts again after the last object it verified; an object whose source changed since (another size or
    ETag) is copied again.
  - At the end both buckets are listed again and compared. The module fails when an object of the source is not
    in the destination with its size and a verified sha256, naming the objects.
  - Objects in the destination that the source does not have are left alone and counted.
author:
  - Filament MLflow maintainers (@filament)
requirements:
  - boto3
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Lists both buckets and reports what a run would copy.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  source:
    description:
      - The bucket to copy from, and how to reach it. Its objects are only read.
    type: dict
    required: true
    suboptions: &endpoint
      bucket:
        description: The bucket's name; it must exist.
        type: str
        required: true
      endpoint_url:
        description: The S3 endpoint; without it, the AWS S3 endpoint of the region.
        type: str
      region:
        description: The S3 region.
        type: str
        default: us-east-1
      access_key:
        description: The S3 access key ID.
        type: str
        aliases: [aws_access_key_id]
      secret_key:
        description: The S3 secret access key.
        type: str
        aliases: [aws_secret_access_key]
      session_token:
        description: The session token of temporary (STS) credentials.
        type: str
        aliases: [aws_session_token]
      addressing_style:
        description: How the bucket appears in request URLs (V(path) suits MinIO and SeaweedFS).
        type: str
        choices: [path, virtual, auto]
        default: path
      ca_bundle:
        description: A PEM file of the certificate authorities to trust for the endpoint.
        type: path
      validate_certs:
        description: Whether to verify the endpoint's TLS certificate.
        type: bool
        default: true
      retries:
        description: How many times boto3 tries a request that failed for a reason that may pass.
        type: int
        default: 12
      retry_delay:
        description: Not used by this module (boto3 waits between its tries itself); accepted so that one
          connection dict serves this module, M(filament.mlflow.bucket) and M(filament.mlflow.s3_probe).
        type: float
        default: 5
  destination:
    description:
      - The bucket to copy into, and how to reach it. It must exist.
    type: dict
    required: true
    suboptions: *endpoint
  prefix:
    description:
      - Copy only the objects whose key starts with this; the whole bucket by default.
    type: str
    default: ''
  exclude:
    description:
      - Key prefixes left out, on both sides. By default the prefix M(filament.mlflow.s3_probe) writes under.
    type: list
    elements: str
    default: [.filament-probe/]
  journal:
    description:
      - A file on the host that runs the module where every verified object is recorded (one JSON line each);
        what makes the copy resumable. Its directory must exist. Keep it until the move is over.
    type: path
    required: true
  jobs:
    description:
      - How many objects are copied at once.
    type: int
    default: 4
  keep_newer:
    description:
      - For a pass after the servers were switched over to the destination. An object the destination has that
        the journal does not name is compared instead of copied. When the bytes are the same, it counts as copied;
        when they differ, the destination's object is the servers' newer write, so it is kept and returned in
        RV(kept).
      - Without it, such an object is overwritten with the source's.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Copy MLflow's artifacts from MinIO to SeaweedFS on the same host
  filament.mlflow.s3_copy:
    source:
      endpoint_url: http://127.0.0.1:9000
      access_key: "{{ minio_mlflow_user }}"
      secret_key: "{{ minio_mlflow_password }}"
      bucket: mlflow
    destination:
      endpoint_url: http://127.0.0.1:8333
      access_key: "{{ seaweedfs_mlflow_key }}"
      secret_key: "{{ seaweedfs_mlflow_secret }}"
      bucket: mlflow
    journal: /var/lib/mlflow-migration/journal.jsonl
  no_log: true
  register: copied
"""

RETURN = r"""
objects:
  description: The objects in the source (under O(prefix), without O(exclude)) when the copy ended.
  returned: always
  type: int
  sample: 1520
bytes:
  description: Their bytes.
  returned: always
  type: int
  sample: 8324112384
copied:
  description: The objects this run copied and verified.
  returned: always
  type: int
  sample: 12
copied_bytes:
  description: Their bytes.
  returned: always
  type: int
  sample: 104857600
unchanged:
  description: The objects already copied and verified by an earlier run, left as they were.
  returned: always
  type: int
  sample: 1508
to_copy:
  description: The objects the run found to copy (in check mode, what a run would copy).
  returned: always
  type: int
  sample: 12
errors:
  description: The objects that could not be copied whole, with why.
  returned: always
  type: list
  elements: str
  sample: []
mismatches:
  description: The objects of the source not in the destination with their size and a verified sha256.
  returned: always
  type: list
  elements: str
  sample: []
kept:
  description: With O(keep_newer), the objects the destination held with other bytes than the source's, left as
    they were.
  returned: always
  type: list
  elements: str
  sample: []
extra:
  description: Objects in the destination that the source does not have (left alone).
  returned: always
  type: int
  sample: 0
seconds:
  description: How long the copy took.
  returned: always
  type: float
  sample: 42.5
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.filament.mlflow.plugins.module_utils import bucket as storage
from ansible_collections.filament.mlflow.plugins.module_utils import s3_copy as logic
from ansible_collections.filament.mlflow.plugins.module_utils.s3_probe import describe

ENDPOINT_SPEC = dict(storage.S3_CONNECTION_SPEC, bucket=dict(type='str', required=True))
ARGUMENT_SPEC = dict(
    source=dict(type='dict', required=True, options=ENDPOINT_SPEC),
    destination=dict(type='dict', required=True, options=ENDPOINT_SPEC),
    prefix=dict(type='str', default=''),
    exclude=dict(type='list', elements='str', default=['.filament-probe/']),
    journal=dict(type='path', required=True),
    jobs=dict(type='int', default=4),
    keep_newer=dict(type='bool', default=False),
)


def endpoint(module, side):
    params = module.params[side]
    backend = storage.s3_backend(params)
    try:
        if not backend.exists(params['bucket']):
            module.fail_json(msg='The %s bucket %s does not exist on %s.'
                             % (side, params['bucket'], backend.client.meta.endpoint_url))
    except storage.BucketError as exc:
        module.fail_json(msg='The %s: %s' % (side, exc), exception=traceback.format_exc())
    client = storage.s3_client(params, retries={'mode': 'standard', 'max_attempts': max(1, params['retries'])})
    return dict(client=client, bucket=params['bucket'], prefix=module.params['prefix'])


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if not storage.HAS_BOTO3:
        module.fail_json(msg=missing_required_lib('boto3'), exception=storage.BOTO3_IMPORT_ERROR)
    if params['jobs'] < 1:
        module.fail_json(msg='jobs must be 1 or more; got %d.' % params['jobs'])
    if not os.path.isdir(os.path.dirname(params['journal']) or '.'):
        module.fail_json(msg='The directory of journal %s does not exist.' % params['journal'])
    for side in ('source', 'destination'):
        if (params[side]['access_key'] is None) != (params[side]['secret_key'] is None):
            module.fail_json(msg='%s: access_key and secret_key go together.' % side)
    source = endpoint(module, 'source')
    destination = endpoint(module, 'destination')
    same = (source['client'].meta.endpoint_url, source['bucket']) == (destination['client'].meta.endpoint_url,
                                                                      destination['bucket'])
    if same:
        module.fail_json(msg='The source and the destination are the same bucket (%s on %s).'
                         % (source['bucket'], source['client'].meta.endpoint_url))

    try:
        summary = logic.copy_bucket(source, destination, logic.Journal(params['journal']),
                                    exclude=tuple(params['exclude']), jobs=params['jobs'],
                                    check_mode=module.check_mode, keep_newer=params['keep_newer'])
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg='Listing the buckets failed: %s' % describe(exc),
                         exception=traceback.format_exc())
    summary['changed'] = bool(summary['copied'] or (module.check_mode and summary['to_copy']))
    if summary['errors'] or summary['mismatches']:
        shown = (summary['errors'] + summary['mismatches'])[:10]
        module.fail_json(msg='%d of %d objects are not in %s whole: %s%s. Run again to copy them again; what is '
                             'verified is kept.'
                             % (len(summary['mismatches']), summary['objects'], destination['bucket'],
                                '; '.join(shown), ' ...' if len(summary['errors'] + summary['mismatches']) > 10 else ''),
                         **summary)
    module.exit_json(**summary)


if __name__ == '__main__':
    main()
