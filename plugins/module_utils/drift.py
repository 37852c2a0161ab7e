# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.drift, as plain functions.

A role describes the state it wants: files with their content checksum, owner, group and mode,
directories, paths that must be absent, accounts, packages and systemd units. Each check below
compares one wanted item with what the host has and returns the reasons it differs (an empty
list when it matches). The checks only read; whatever they cannot tell for sure counts as a
difference, so a task that is skipped on their word never had anything to change.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import stat

_MODE = re.compile(r'0?[0-7]{3,4}')


class InvalidWanted(ValueError):
    """A wanted item that cannot be checked as given (for example a mode that is not octal)."""


def parse_mode(mode, where):
    """The permission bits of an octal mode string such as '0640'."""
    if mode is None:
        return None
    text = str(mode)
    if not _MODE.fullmatch(text):
        raise InvalidWanted("%s: mode must be an octal string such as '0640', got %r" % (where, text))
    return int(text, 8)


def checksum_of(path, algorithm='sha1', suffix=None, chunk=1 << 20):
    """The hex digest of the file at path, with the UTF-8 text suffix appended when given."""
    digest = hashlib.new(algorithm)
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(chunk), b''):
            digest.update(block)
    if suffix:
        digest.update(suffix.encode('utf-8'))
    return digest.hexdigest()


def _name_of(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return None


def owner_reasons(st, owner, group, mode):
    """What differs in the owner, group and permission bits of an lstat result."""
    reasons = []
    if owner is not None:
        actual = _name_of(pwd.getpwuid, st.st_uid)
        if actual != owner:
            reasons.append('owner is %s, wanted %s' % (actual or 'uid %d' % st.st_uid, owner))
    if group is not None:
        actual = _name_of(grp.getgrgid, st.st_gid)
        if actual != group:
            reasons.append('group is %s, wanted %s' % (actual or 'gid %d' % st.st_gid, group))
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        reasons.append('mode is %04o, wanted %04o' % (stat.S_IMODE(st.st_mode), mode))
    return reasons


def path_reasons(item):
    """Why a wanted file, directory or absent path differs from the host; [] when it matches."""
    path, state = item['path'], item.get('state') or 'file'
    mode = parse_mode(item.get('mode'), path)
    if state == 'present':
        return [] if os.path.exists(path) else ['%s is missing' % path]
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return [] if state == 'absent' else ['%s is missing' % path]
    except OSError as exc:
        return ['%s cannot be read: %s' % (path, exc.strerror)]
    if state == 'absent':
        return ['%s exists' % path]
    if state == 'directory':
        if not stat.S_ISDIR(st.st_mode):
            return ['%s is not a directory' % path]
    else:
        if not stat.S_ISREG(st.st_mode):
            return ['%s is not a regular file' % path]
        if item.get('same_as'):
            # A copy of another file on the host (copy with remote_src), maybe with text appended.
            try:
                if checksum_of(path) != checksum_of(item['same_as'], suffix=item.get('followed_by')):
                    return ['%s differs from %s' % (path, item['same_as'] + (' and the text after it' if item.get('followed_by') else ''))]
            except FileNotFoundError:
                return ['%s is missing' % item['same_as']]
            except OSError as exc:
                return ['%s cannot be read: %s' % (item['same_as'], exc.strerror)]
        checksum = item.get('checksum')
        if checksum:
            # sha1 by default (what copy and template compare); 'sha256:<hex>' for a pinned download.
            algorithm, sep, wanted = checksum.lower().rpartition(':')
            if algorithm not in ('', 'sha1', 'sha256'):
                raise InvalidWanted('%s: checksum must be <sha1 hex> or sha256:<hex>, got the algorithm %r' % (path, algorithm))
            try:
                if checksum_of(path, algorithm or 'sha1') != wanted:
                    return ['%s has other content' % path]
            except OSError as exc:
                return ['%s cannot be read: %s' % (path, exc.strerror)]
    return ['%s: %s' % (path, reason) for reason in owner_reasons(st, item.get('owner'), item.get('group'), mode)]


def read_shadow_field(name, shadow_path='/etc/shadow'):
    """The password field of name in the shadow file, or None when it cannot be read."""
    try:
        with open(shadow_path, encoding='utf-8') as handle:
            for line in handle:
                fields = line.rstrip('\n').split(':')
                if fields[0] == name and len(fields) > 1:
                    return fields[1]
    except OSError:
        return None
    return None


def user_reasons(item, shadow_path='/etc/shadow'):
    """Why a wanted account differs: missing, or another primary group, home, shell or comment."""
    name = item['name']
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return ['user %s is missing' % name]
    reasons = []
    if item.get('group') is not None:
        actual = _name_of(grp.getgrgid, entry.pw_gid)
        if actual != item['group']:
            reasons.append('user %s has primary group %s, wanted %s' % (name, actual or 'gid %d' % entry.pw_gid, item['group']))
    for field, actual in (('home', entry.pw_dir), ('shell', entry.pw_shell), ('comment', entry.pw_gecos)):
        if item.get(field) is not None and actual != item[field]:
            reasons.append('user %s has %s %r, wanted %r' % (name, field, actual, item[field]))
    if item.get('locked') and read_shadow_field(name, shadow_path) != '!':
        reasons.append('the password of user %s is not locked with "!"' % name)
    return reasons


def group_reasons(item):
    try:
        grp.getgrnam(item['name'])
    except KeyError:
        return ['group %s is missing' % item['name']]
    return []


def installed_packages(status_text):
    """The packages dpkg lists as installed in its status database, by name, with their versions."""
    installed = {}
    for paragraph in status_text.split('\n\n'):
        name = status = None
        version = ''
        for line in paragraph.splitlines():
            if line.startswith('Package: '):
                name = line[len('Package: '):].strip()
            elif line.startswith('Status: '):
                status = line[len('Status: '):].split()
            elif line.startswith('Version: '):
                version = line[len('Version: '):].strip()
        if name and status and status[-1] == 'installed' and status[0] == 'install':
            installed[name] = version
    return installed


def package_versions(items, installed):
    """The installed version of each wanted package that is installed (Debian's version string)."""
    names = [name for item in items for name in item['names']]
    return {name: installed[name] for name in names if name in (installed or {})}


def package_reasons(item, installed):
    """Why a wanted set of packages differs; installed is None where there is no dpkg database."""
    if installed is None:
        return ['no dpkg status database: cannot tell whether %s are installed' % ', '.join(item['names'])]
    missing = [name for name in item['names'] if name not in installed]
    return ['%s not installed' % ', '.join(missing)] if missing else []


def parse_systemctl_show(output):
    """`systemctl show --property=Id,LoadState,UnitFileState,ActiveState a b ...` as a list of dicts."""
    units, current = [], {}
    for line in output.splitlines():
        if not line.strip():
            if current:
                units.append(current)
                current = {}
            continue
        key, sep, value = line.partition('=')
        if sep:
            current[key] = value
    if current:
        units.append(current)
    return units


def unit_reasons(item, shown):
    """Why a wanted unit differs: not loaded, not enabled, not active (shown: its systemctl show);
    for one wanted masked: not masked, or still running."""
    name = item['name']
    if item.get('masked'):
        state = '%s/%s' % ((shown or {}).get('LoadState') or 'unknown', (shown or {}).get('ActiveState') or 'unknown')
        if shown and shown.get('LoadState') == 'masked' and shown.get('ActiveState') in ('inactive', 'failed'):
            return []
        return ['unit %s is %s, wanted masked and stopped' % (name, state)]
    if not shown or shown.get('LoadState') != 'loaded':
        return ['unit %s is not loaded' % name]
    reasons = []
    if item.get('enabled', True) and shown.get('UnitFileState') != 'enabled':
        reasons.append('unit %s is %s, wanted enabled' % (name, shown.get('UnitFileState') or 'not enabled'))
    if item.get('active', True) and shown.get('ActiveState') != 'active':
        reasons.append('unit %s is %s, wanted active' % (name, shown.get('ActiveState') or 'not active'))
    return reasons


def collect(found):
    """Merge (key, reasons) pairs into the keys that drifted (first-seen order) and their reasons."""
    drifted, reasons = [], {}
    for key, why in found:
        if why:
            if key not in reasons:
                drifted.append(key)
                reasons[key] = []
            reasons[key].extend(why)
    return drifted, reasons
