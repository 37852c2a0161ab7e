# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the object storage the MLflow artifact store lives on.

filament.mlflow.storage: what every provider shares; .s3 and .gcs: each provider's own.
"""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  endpoint_url:
    description:
      - URL of the storage API.
      - For S3, the S3 endpoint, for example V(http://127.0.0.1:9000) for a local MinIO.
        Without it, the AWS S3 endpoint of the region is used.
      - For Google Cloud Storage, an optional override of the API endpoint.
    type: str
  validate_certs:
    description:
      - Whether to verify the endpoint's TLS certificate.
      - Switch this off only for a throwaway test server.
    type: bool
    default: true
  ca_bundle:
    description:
      - A PEM file of the certificate authorities to trust for the endpoint, for example a private CA.
    type: path
  retries:
    description:
      - How many times to try again while the endpoint cannot be reached or answers with a server error (5xx),
        for example because the server is still starting.
      - Errors that waiting cannot fix, such as rejected credentials, fail at once.
    type: int
    default: 12
  retry_delay:
    description:
      - Seconds to wait between two tries, see O(retries).
    type: float
    default: 5
"""

    S3 = r"""
options:
  region:
    description:
      - The S3 region; a bucket made outside V(us-east-1) is made in this region.
    type: str
    default: us-east-1
  access_key:
    description:
      - The S3 access key ID.
      - Without it, boto3 looks for credentials the usual way (environment, C(~/.aws), instance profile).
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - The S3 secret access key.
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description:
      - The session token of temporary (STS) credentials.
    type: str
    aliases: [aws_session_token]
  addressing_style:
    description:
      - How the bucket appears in request URLs. V(path) (C(http://host/bucket)) suits MinIO and other
        servers without wildcard DNS; V(virtual) puts the bucket in the host name; V(auto) lets boto3 choose.
    type: str
    choices: [path, virtual, auto]
    default: path
"""

    GCS = r"""
options:
  credentials_file:
    description:
      - A service account key file (JSON) on the managed host, for example one written by
        M(filament.mlflow.gcs_credentials).
      - Without it, the application default credentials of the host are used.
      - Ignored when the environment variable E(STORAGE_EMULATOR_HOST) names a Cloud Storage emulator,
        which needs no credentials.
    type: path
  project:
    description:
      - The Google Cloud project a new bucket is made in.
      - Defaults to the project of O(credentials_file), or of the application default credentials.
    type: str
"""
