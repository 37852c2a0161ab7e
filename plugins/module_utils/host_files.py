# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind the filament.mlflow.files action, as plain functions.

A role lists the files, directories and absent paths it puts on a host once, in the task that
puts them there. The action renders each file's content on the controller, asks the host in one
call (filament.mlflow.drift) which items differ, and writes only those. The functions below
check the list as given, turn it into the drift module's request and read its answer.
"""

from __future__ import annotations

STATES = ('file', 'directory', 'absent')
SOURCES = ('template', 'src', 'content')
OPTIONS = frozenset(('dest', 'state', 'owner', 'group', 'mode', 'validate', 'secret') + SOURCES)
# What a directory or an absent path may carry besides its path.
_NOT_FOR = {
    'directory': SOURCES + ('validate',),
    'absent': SOURCES + ('validate', 'owner', 'group', 'mode'),
}


class InvalidItem(ValueError):
    """An item of the list that cannot be put on a host as given."""


def _where(index, item):
    dest = item.get('dest') if isinstance(item, dict) else None
    return 'files[%d]%s' % (index, ' (%s)' % dest if dest else '')


def normalize(items):
    """The items with their defaults filled in; InvalidItem names the first wrong one and why."""
    if not isinstance(items, list):
        raise InvalidItem('files must be a list of items, got %s' % type(items).__name__)
    out = []
    seen = set()
    for index, item in enumerate(items):
        where = _where(index, item)
        if not isinstance(item, dict):
            raise InvalidItem('%s must be a dict, got %s' % (where, type(item).__name__))
        unknown = sorted(set(item) - OPTIONS)
        if unknown:
            raise InvalidItem('%s: unknown option(s) %s; known: %s' % (where, ', '.join(unknown), ', '.join(sorted(OPTIONS))))
        dest = item.get('dest')
        if not isinstance(dest, str) or not dest.startswith('/'):
            raise InvalidItem('%s: dest must be an absolute path, got %r' % (where, dest))
        if dest in seen:
            raise InvalidItem('%s: dest is listed twice' % where)
        seen.add(dest)
        state = item.get('state', 'file')
        if state not in STATES:
            raise InvalidItem('%s: state must be one of %s, got %r' % (where, ', '.join(STATES), state))
        given = [name for name in SOURCES if item.get(name) is not None]
        if state == 'file' and len(given) != 1:
            raise InvalidItem('%s: a file needs exactly one of %s, got %s'
                              % (where, ', '.join(SOURCES), ', '.join(given) or 'none'))
        misplaced = [name for name in _NOT_FOR.get(state, ()) if item.get(name) is not None]
        if misplaced:
            raise InvalidItem('%s: %s does not apply to state %s' % (where, ', '.join(misplaced), state))
        mode = item.get('mode')
        if mode is not None and not isinstance(mode, str):
            raise InvalidItem("%s: mode must be a quoted octal string such as '0640', got %r" % (where, mode))
        normal = dict(item, state=state, secret=bool(item.get('secret', False)))
        out.append(normal)
    return out


def drift_request(items, checksums):
    """The files option of filament.mlflow.drift for the items: the key of each is its index.

    checksums maps the index of each file to the sha1 of the content rendered on the controller.
    """
    request = []
    for index, item in enumerate(items):
        wanted = {'key': str(index), 'path': item['dest'], 'state': item['state']}
        for name in ('owner', 'group', 'mode'):
            if item.get(name) is not None:
                wanted[name] = item[name]
        if item['state'] == 'file':
            wanted['checksum'] = checksums[index]
        request.append(wanted)
    return request


def drifted_items(items, drift_result):
    """(index, item, reasons) of each item the drift module found different, in the order listed."""
    drifted = set(drift_result.get('drifted', []))
    reasons = drift_result.get('reasons', {})
    return [(index, item, reasons.get(str(index), [])) for index, item in enumerate(items) if str(index) in drifted]


def file_args(item, source):
    """The arguments of ansible.builtin.copy that put a file item in place from a controller path."""
    args = {'src': source, 'dest': item['dest']}
    for name in ('owner', 'group', 'mode', 'validate'):
        if item.get(name) is not None:
            args[name] = item[name]
    return args


def path_args(item):
    """The arguments of ansible.builtin.file for a directory or an absent path."""
    args = {'path': item['dest'], 'state': item['state']}
    for name in ('owner', 'group', 'mode'):
        if item.get(name) is not None:
            args[name] = item[name]
    return args


def shown(item, result):
    """What the task result tells of one item: a secret item's content and diff are never shown."""
    summary = {'dest': item['dest'], 'changed': bool(result.get('changed'))}
    if not item['secret'] and result.get('diff'):
        summary['diff'] = result['diff']
    return summary
