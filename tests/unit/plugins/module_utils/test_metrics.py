# -*- coding: utf-8 -*-
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from ansible_collections.filament.mlflow.plugins.module_utils import metrics as logic


def _part(text):
    return json.loads(base64.urlsafe_b64decode(text + '=' * (-len(text) % 4)))


def test_the_minio_token_is_a_jwt_signed_by_the_secret_key_for_prometheus():
    token = logic.minio_token('admin', 's3cret-key')
    header, payload, signature = token.split('.')
    assert _part(header) == {'alg': 'HS512', 'typ': 'JWT'}
    assert _part(payload) == {'exp': logic.TOKEN_EXPIRES, 'iss': 'prometheus', 'sub': 'admin'}
    expected = hmac.new(b's3cret-key', ('%s.%s' % (header, payload)).encode(), hashlib.sha512).digest()
    assert base64.urlsafe_b64decode(signature + '=' * (-len(signature) % 4)) == expected
    # The same keys give the same token (the proxy's configuration stays unchanged); others do not.
    assert logic.minio_token('admin', 's3cret-key') == token
    assert logic.minio_token('admin', 'other-key') != token


def test_basic_header():
    assert logic.basic_header('prometheus', 'pw:with:colons') == 'Basic ' + base64.b64encode(b'prometheus:pw:with:colons').decode()


def test_the_targets_document_names_each_path_job_and_host_at_the_proxy_s_address():
    targets = [logic.target('caddy', 'p', '', ''), logic.target('node', 'db-1', '10.0.0.1:9100', '/metrics', 'Basic x')]
    assert logic.sd_document(targets, 'mlflow.example.org:443') == [
        {'targets': ['mlflow.example.org:443'],
         'labels': {'__metrics_path__': '/metrics/caddy/p', 'job': 'caddy', 'instance': 'p'}},
        {'targets': ['mlflow.example.org:443'],
         'labels': {'__metrics_path__': '/metrics/node/db-1', 'job': 'node', 'instance': 'db-1'}},
    ]
    # The credentials the proxy adds never reach the document Prometheus reads.
    assert 'Basic' not in logic.sd_text(targets, 'mlflow.example.org:443')
    assert logic.sd_text(targets, 'x:1').endswith('\n')
