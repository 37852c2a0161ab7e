# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the unit tests.

collections/ansible_collections/filament/mlflow links back to the checkout, so putting
collections/ on sys.path makes `ansible_collections.filament.mlflow` the code under test.
"""

from __future__ import annotations

import base64
import json
import pathlib
import sys

import pytest

COLLECTIONS = pathlib.Path(__file__).resolve().parents[2] / 'collections'
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible.module_utils.testing import patch_module_args  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with the given args; returns its JSON result as Ansible would get it.

    The real exit_json/fail_json run, so no_log masking and the result's shape are what a
    playbook sees.
    """
    def run(main, args, check_mode=False, diff=False):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        with patch_module_args(args), pytest.raises(SystemExit) as raised:
            main()
        out = capsys.readouterr().out
        result = json.loads(out)
        result['_rc'] = raised.value.code
        result['_raw'] = out
        return result
    return run


@pytest.fixture(scope='session')
def service_account():
    """A complete service account key with a real (throwaway) RSA private key: (bytes, dict, base64 str)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {
        'type': 'service_account',
        'project_id': 'unit-project',
        'private_key_id': '0123456789abcdef',
        'private_key': pem,
        'client_email': 'mlflow@unit-project.iam.gserviceaccount.com',
        'client_id': '1234567890',
        'token_uri': 'https://oauth2.googleapis.com/token',
    }
    data = json.dumps(info, indent=2).encode()
    return data, info, base64.b64encode(data).decode()
