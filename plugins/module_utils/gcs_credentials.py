# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.gcs_credentials, as plain functions.

A service account key arrives base64-encoded (``base64 -w 0 < key.json``). It is decoded and
checked completely before anything touches the filesystem, and it is only ever described by
its fingerprint and client_email: no message here repeats the input or the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile

REQUIRED_FIELDS = ('project_id', 'private_key', 'client_email')
PEM_BEGIN = '-----BEGIN PRIVATE KEY-----'
PEM_END = '-----END PRIVATE KEY-----'
_SAFE_TYPE = re.compile(r'[A-Za-z_]{1,40}')


class InvalidServiceAccount(ValueError):
    """The input is not a usable service account key; the message never contains the key."""


def decode_auth_string(auth_string):
    """The bytes encoded in auth_string; whitespace anywhere (line wrapping, a final newline) is ignored."""
    compact = re.sub(r'\s+', '', auth_string or '')
    if not compact:
        raise InvalidServiceAccount('auth_string is empty: pass the output of `base64 -w 0 < service_account.json`.')
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidServiceAccount(
            'auth_string is not valid base64: pass the output of `base64 -w 0 < service_account.json`.'
        ) from None


def parse_service_account(data):
    """The key file's fields as a dict, after checking it is a complete service account key."""
    try:
        info = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise InvalidServiceAccount(
            'auth_string does not decode to JSON: it must encode a service account key file (JSON).'
        ) from None
    if not isinstance(info, dict):
        raise InvalidServiceAccount(
            'auth_string decodes to JSON that is not an object: it must encode a service account key file.'
        )
    kind = info.get('type')
    if kind != 'service_account':
        shown = repr(kind) if isinstance(kind, str) and _SAFE_TYPE.fullmatch(kind) else 'missing or unexpected'
        raise InvalidServiceAccount(
            'the key\'s "type" is %s, expected "service_account": create a key for a service account '
            '(IAM > Service accounts > Keys), not user or workload credentials.' % shown
        )
    missing = [f for f in REQUIRED_FIELDS if not isinstance(info.get(f), str) or not info[f].strip()]
    if missing:
        raise InvalidServiceAccount(
            'the service account key lacks or has empty field(s): %s. Download a new JSON key for the account.'
            % ', '.join(missing)
        )
    key = info['private_key'].strip()
    if not (key.startswith(PEM_BEGIN) and key.endswith(PEM_END)):
        raise InvalidServiceAccount(
            'the service account key\'s private_key is not a PEM private key ("%s ... %s"): '
            'download a new JSON key for the account.' % (PEM_BEGIN, PEM_END)
        )
    return info


def fingerprint(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def describe(data, info=None):
    """A one-line identity of a key file for diffs: its fingerprint and, if known, client_email."""
    if info is None:
        info = _try_parse(data)
    email = info.get('client_email') if isinstance(info, dict) else None
    return fingerprint(data) + (' client_email=%s' % email if isinstance(email, str) and email else '')


def _try_parse(data):
    try:
        info = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def read_current(path):
    """The bytes now at path, or None when there is no file."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_private_temp(directory, basename, data):
    """Write data to a new 0600 file in directory (the destination's, so the move is a rename); returns its path."""
    fd, path = tempfile.mkstemp(prefix='.%s.' % basename, suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            os.fchmod(handle.fileno(), 0o600)  # mkstemp's default, made explicit: the key is never readable by others
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    return path
