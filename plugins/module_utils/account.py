# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind the filament.mlflow.account action, as plain functions.

A service account is stated once: its name, primary group, home, shell, comment and whether its
password is locked. The action asks the host in one call (filament.mlflow.drift) whether the
group and the user are as stated, and runs ansible.builtin.group and ansible.builtin.user only
for what differs, with the same attributes: what is compared is what is set.
"""

from __future__ import annotations

import re

_NAME = re.compile(r'^[a-z_][a-z0-9_-]{0,31}$')
OPTIONS = frozenset(('name', 'group', 'home', 'shell', 'comment', 'locked'))


class InvalidAccount(ValueError):
    """An account that cannot be made as given."""


def normalize(args):
    """The account's attributes with their defaults; InvalidAccount names the wrong one."""
    unknown = sorted(set(args) - OPTIONS)
    if unknown:
        raise InvalidAccount('unknown option(s) %s; known: %s' % (', '.join(unknown), ', '.join(sorted(OPTIONS))))
    for name in ('name', 'group'):
        if not isinstance(args.get(name), str) or not _NAME.match(args[name]):
            raise InvalidAccount('%s must be a user or group name (lower case, up to 32 characters), got %r' % (name, args.get(name)))
    for name in ('home', 'shell'):
        value = args.get(name, '/usr/sbin/nologin' if name == 'shell' else None)
        if not isinstance(value, str) or not value.startswith('/'):
            raise InvalidAccount('%s must be an absolute path, got %r' % (name, value))
    comment = args.get('comment', '')
    if not isinstance(comment, str) or ':' in comment or '\n' in comment:
        raise InvalidAccount('comment must be text without ":" or a line break, got %r' % (comment,))
    return {'name': args['name'], 'group': args['group'], 'home': args['home'],
            'shell': args.get('shell', '/usr/sbin/nologin'), 'comment': comment, 'locked': bool(args.get('locked', True))}


def drift_request(account):
    """The groups and users options of filament.mlflow.drift for the account."""
    return {'groups': [{'key': 'group', 'name': account['group']}],
            'users': [{'key': 'user', 'name': account['name'], 'group': account['group'], 'home': account['home'],
                       'shell': account['shell'], 'comment': account['comment'], 'locked': account['locked']}]}


def group_args(account):
    """ansible.builtin.group's arguments for the account's primary group."""
    return {'name': account['group'], 'system': True, 'state': 'present'}


def user_args(account):
    """ansible.builtin.user's arguments for the account: a system user whose home the role makes."""
    args = {'name': account['name'], 'group': account['group'], 'home': account['home'], 'shell': account['shell'],
            'comment': account['comment'], 'system': True, 'create_home': False, 'state': 'present'}
    if account['locked']:
        args['password'] = '!'
    return args
