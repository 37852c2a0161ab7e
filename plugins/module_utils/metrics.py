# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Prometheus server scrapes, worked out from the site's inventory.

Every metric of the stack leaves it through one place: the HTTPS proxy, under /metrics/, behind
its own account (caddy_metrics_user). Behind the proxy each service keeps its metrics to itself:
the exporters (node, mysqld) answer only with their basic-auth account, MinIO only with a bearer
token signed by its root key, MLflow and Caddy are reached through the proxy only. The proxy adds
those credentials on the way; Prometheus never sees them.

Each target is one path, /metrics/<job>/<host>; /metrics/targets lists them all for Prometheus's
http_sd_configs, so the scrape configuration does not change when hosts come and go.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

# A token that does not expire within any deployment's life (1 January 2100); MinIO requires exp.
TOKEN_EXPIRES = 4102444800


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def minio_token(access_key, secret_key, expires=TOKEN_EXPIRES):
    """The bearer token MinIO accepts for its Prometheus metrics (what `mc admin prometheus
    generate` prints): a JWT signed with HS512 by the secret key, issuer "prometheus". The same
    keys always give the same token, so the proxy's configuration only changes with them."""
    header = _b64url(json.dumps({'alg': 'HS512', 'typ': 'JWT'}, separators=(',', ':'), sort_keys=True).encode('utf-8'))
    claims = {'exp': int(expires), 'iss': 'prometheus', 'sub': str(access_key)}
    payload = _b64url(json.dumps(claims, separators=(',', ':'), sort_keys=True).encode('utf-8'))
    signing_input = ('%s.%s' % (header, payload)).encode('ascii')
    signature = hmac.new(str(secret_key).encode('utf-8'), signing_input, hashlib.sha512).digest()
    return '%s.%s' % (signing_input.decode('ascii'), _b64url(signature))


def basic_header(user, password):
    """The value of an Authorization header for HTTP basic auth."""
    raw = ('%s:%s' % (user, password)).encode('utf-8')
    return 'Basic %s' % base64.b64encode(raw).decode('ascii')


def target(job, host, upstream, path, authorization=''):
    """One scrape target behind the proxy: served at /metrics/<job>/<host>, proxied to
    upstream's path, with authorization added on the way (empty: none)."""
    return {'job': job, 'instance': host, 'route': '/metrics/%s/%s' % (job, host),
            'upstream': upstream, 'path': path, 'authorization': authorization}


def sd_document(targets, scrape_address):
    """The http_sd_configs document for the targets: each is the proxy's address with the
    target's path as __metrics_path__, its job, and the host as instance."""
    return [{'targets': [scrape_address],
             'labels': {'__metrics_path__': item['route'], 'job': item['job'], 'instance': item['instance']}}
            for item in targets]


def sd_text(targets, scrape_address):
    """sd_document as the file the proxy serves (indented JSON, final newline)."""
    return json.dumps(sd_document(targets, scrape_address), indent=2, sort_keys=True) + '\n'
