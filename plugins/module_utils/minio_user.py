# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.minio_user, as plain functions and one small client class.

A MinIO user that may do only what one canned policy allows (the minio role's policies are in
roles/minio/vars/main.yml): how two policies compare, what has to change to reach the wanted
state (plan), and the calls that read and change it through MinIO's admin API with the MinIO
client library (minio-py's MinioAdmin; never the `mc` command).
"""

from __future__ import annotations

import json
import traceback

try:
    import urllib3
    from minio import Minio, MinioAdmin
    from minio.credentials import StaticProvider
    from minio.error import MinioAdminException, S3Error
except ImportError:
    HAS_MINIO = False
    MINIO_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_MINIO = True
    MINIO_IMPORT_ERROR = None

TIMEOUT = 30
# The credential errors MinIO answers with: the key does not exist, or the secret does not match.
CREDENTIAL_CODES = frozenset(('InvalidAccessKeyId', 'SignatureDoesNotMatch', 'XMinioAdminNoSuchUser'))


class MinioUserError(Exception):
    """A failure reported to the user as is: the message says what to check."""


def _as_list(value):
    if value is None:
        return []
    return sorted(value) if isinstance(value, list) else [value]


def canonical(policy):
    """A policy document in one spelling: single values as lists, lists sorted, statements sorted,
    so that two documents that grant the same compare equal."""
    if isinstance(policy, str):
        policy = json.loads(policy)
    if not isinstance(policy, dict):
        raise MinioUserError('policy must be a mapping (an IAM policy document), not %s.' % type(policy).__name__)
    statements = policy.get('Statement')
    if not isinstance(statements, list) or not statements:
        raise MinioUserError('policy must have a non-empty Statement list.')
    result = []
    for statement in statements:
        if not isinstance(statement, dict):
            raise MinioUserError('every Statement of policy must be a mapping.')
        entry = {}
        for key, value in statement.items():
            entry[key] = _as_list(value) if key in ('Action', 'NotAction', 'Resource', 'NotResource') else value
        result.append(entry)
    result.sort(key=lambda entry: json.dumps(entry, sort_keys=True))
    return {'Version': policy.get('Version', '2012-10-17'), 'Statement': result}


def attached(user_info):
    """The policies MinIO lists as attached to a user (user-info's comma-separated policyName)."""
    names = (user_info or {}).get('policyName') or ''
    return sorted(name for name in names.split(',') if name)


def plan(current, wanted):
    """The steps from current to wanted, in the order they run, and the diff to show.

    current: buckets (the wanted ones that exist), policy (the document or None), user (user-info
    or None), secret_ok (the user is enabled and its key works with the wanted secret).
    wanted: name, policy_name, policy, buckets, state.
    """
    steps = []
    if wanted['state'] == 'absent':
        if current['user'] is not None:
            steps.append(('remove_user', wanted['name']))
        if current['policy'] is not None:
            steps.append(('remove_policy', wanted['policy_name']))
    else:
        for bucket in wanted['buckets']:
            if bucket not in current['buckets']:
                steps.append(('make_bucket', bucket))
        if current['policy'] is None or canonical(current['policy']) != canonical(wanted['policy']):
            steps.append(('put_policy', wanted['policy_name']))
        # Setting a user sets its secret and enables it: a disabled user, or one whose secret is not
        # the wanted one, is set again.
        if current['user'] is None or not current['secret_ok']:
            steps.append(('add_user', wanted['name']))
        have = attached(current['user'])
        others = [name for name in have if name != wanted['policy_name']]
        if others:
            steps.append(('detach_policies', others))
        if wanted['policy_name'] not in have:
            steps.append(('attach_policy', wanted['policy_name']))
    return steps, _diff(current, wanted, steps)


def _view(user, policy_name, policies, secret, buckets):
    return {'user': user, 'policies': policies, 'policy_document': policy_name, 'secret': secret, 'buckets': buckets}


def _diff(current, wanted, steps):
    done = {step[0] for step in steps}
    exists = current['user'] is not None
    before = _view('present' if exists else 'absent', current['policy'] is not None and wanted['policy_name'],
                   attached(current['user']), 'set' if exists else 'none', sorted(current['buckets']))
    if wanted['state'] == 'absent':
        after = _view('absent', False, [], 'none', sorted(current['buckets']))
    else:
        after = _view('present', wanted['policy_name'], [wanted['policy_name']],
                      'changed' if exists and 'add_user' in done else 'set', sorted(wanted['buckets']))
    if 'put_policy' in done and current['policy'] is not None:
        after['policy_document'] = '%s (changed)' % wanted['policy_name']
    return {'before': before, 'after': after}


def summary(current, steps):
    """What the steps change, as the module returns it."""
    kinds = {step[0] for step in steps}
    return {
        'created': 'add_user' in kinds and current['user'] is None,
        'secret_changed': 'add_user' in kinds and current['user'] is not None,
        'buckets_created': [step[1] for step in steps if step[0] == 'make_bucket'],
        'policy_changed': bool(kinds & {'put_policy', 'remove_policy'}),
        'removed': 'remove_user' in kinds,
    }


def _admin_error(exc):
    """The admin API's error code (MinIO's JSON body), or ''."""
    try:
        return json.loads(getattr(exc, '_body', '') or '{}').get('Code', '')
    except ValueError:
        return ''


class Client:
    """MinIO's admin and S3 APIs at one endpoint, with the root (admin) credentials."""

    def __init__(self, endpoint, access_key, secret_key, secure=False, validate_certs=True, ca_bundle=None,
                 timeout=TIMEOUT):
        self.endpoint = endpoint
        self._secure = secure
        self._validate = validate_certs
        self._ca_bundle = ca_bundle
        self._timeout = timeout
        self.admin = self._admin(access_key, secret_key)
        self.s3 = Minio(endpoint, credentials=StaticProvider(access_key, secret_key), secure=secure,
                        cert_check=validate_certs, http_client=self._http())

    def _http(self):
        options = dict(timeout=urllib3.Timeout(connect=self._timeout, read=self._timeout),
                       retries=urllib3.Retry(total=2, backoff_factor=0.5, status_forcelist=[502, 503, 504]))
        if self._secure:
            options['cert_reqs'] = 'CERT_REQUIRED' if self._validate else 'CERT_NONE'
            if self._validate and self._ca_bundle:
                options['ca_certs'] = self._ca_bundle
        return urllib3.PoolManager(**options)

    def _admin(self, access_key, secret_key):
        return MinioAdmin(endpoint=self.endpoint, credentials=StaticProvider(access_key, secret_key),
                          secure=self._secure, cert_check=self._validate, http_client=self._http())

    def _call(self, what, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except MinioAdminException as exc:
            code = _admin_error(exc)
            self._credentials_refused(code, what)
            raise MinioUserError('MinIO at %s refused to %s: %s %s' % (self.endpoint, what, code or exc._code,
                                                                       _message(exc)))
        except S3Error as exc:
            self._credentials_refused(exc.code, what)
            raise MinioUserError('MinIO at %s refused to %s: %s %s' % (self.endpoint, what, exc.code, exc.message))
        except urllib3.exceptions.SSLError as exc:
            raise MinioUserError('TLS with MinIO at %s failed while it %s: %s. Check ca_bundle and validate_certs.'
                                 % (self.endpoint, what, _reason(exc)))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise MinioUserError('MinIO at %s cannot be reached (%s) while it %s; is it running and is endpoint '
                                 'right?' % (self.endpoint, _reason(exc), what))

    def _credentials_refused(self, code, what):
        if code in ('InvalidAccessKeyId', 'SignatureDoesNotMatch'):
            raise MinioUserError('MinIO at %s refused the admin credentials (%s) when asked to %s: check '
                                 'admin_access_key and admin_secret_key (the root credentials).'
                                 % (self.endpoint, code, what))

    @staticmethod
    def _missing(call, *args):
        """call's parsed JSON answer, or None when MinIO says there is no such user or policy."""
        try:
            return json.loads(call(*args))
        except MinioAdminException as exc:
            if _admin_error(exc) in ('XMinioAdminNoSuchUser', 'XMinioAdminNoSuchPolicy'):
                return None
            raise

    def read(self, wanted):
        """The current state plan() compares against."""
        buckets = [bucket for bucket in wanted['buckets']
                   if self._call('look for bucket %s' % bucket, self.s3.bucket_exists, bucket)]
        policy = self._call('read policy %s' % wanted['policy_name'], self._missing, self.admin.policy_info,
                            wanted['policy_name'])
        user = self._call('read user %s' % wanted['name'], self._missing, self.admin.user_info, wanted['name'])
        secret_ok = False
        if user is not None and user.get('status') == 'enabled' and wanted['state'] == 'present':
            secret_ok = self.secret_works(wanted['name'], wanted['secret_key'])
        return {'buckets': buckets, 'policy': policy, 'user': user, 'secret_ok': secret_ok}

    def secret_works(self, name, secret_key):
        """Whether MinIO takes the user's key with this secret (the admin API never shows a secret)."""
        return self._call('check the secret of %s' % name, self._account_works, name, secret_key)

    def _account_works(self, name, secret_key):
        try:
            self._admin(name, secret_key).account_info()
        except MinioAdminException as exc:
            if _admin_error(exc) in CREDENTIAL_CODES:
                return False
            raise
        return True

    def apply(self, steps, wanted):
        for step, value in steps:
            if step == 'make_bucket':
                self._call('make bucket %s' % value, self.s3.make_bucket, value)
            elif step == 'put_policy':
                self._call('write policy %s' % value, self.admin.policy_add, value, policy=wanted['policy'])
            elif step == 'add_user':
                self._call('set user %s' % value, self.admin.user_add, value, wanted['secret_key'])
            elif step == 'detach_policies':
                self._call('detach %s from %s' % (', '.join(value), wanted['name']), self.admin.detach_policy,
                           value, user=wanted['name'])
            elif step == 'attach_policy':
                self._call('attach %s to %s' % (value, wanted['name']), self.admin.attach_policy, [value],
                           user=wanted['name'])
            elif step == 'remove_user':
                self._call('remove user %s' % value, self.admin.user_remove, value)
            elif step == 'remove_policy':
                self._call('remove policy %s' % value, self.admin.policy_remove, value)
            else:
                raise MinioUserError('unknown step %s' % step)


def _message(exc):
    try:
        return json.loads(getattr(exc, '_body', '') or '{}').get('Message', '')
    except ValueError:
        return ''


def _reason(exc):
    reason = getattr(exc, 'reason', None)
    return str(reason or exc).splitlines()[0][:200]
