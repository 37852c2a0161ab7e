# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.mlflow_schema that needs no MLflow: plain functions.

MLflow keeps its database schema with alembic. The head revision an installed MLflow needs is read
straight from its migration sources (a few milliseconds, where alembic's own reading takes about
two seconds); a dump before an upgrade is made by mysqldump, which gets the password in its
environment, never on its command line; and no message leaves without the URI and the password
taken out.
"""

from __future__ import annotations

import os
import re
import time

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([0-9A-Za-z_]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.+)$", re.M)
_NAMES = re.compile(r"['\"]([0-9A-Za-z_]+)['\"]")


def read_sources(versions):
    """(every revision, every revision named as a down_revision) of the migration sources in the
    directory versions; None when a source does not say both plainly (then ask alembic)."""
    revisions, parents = set(), set()
    for name in os.listdir(versions):
        if not name.endswith('.py') or name.startswith('_'):
            continue
        with open(os.path.join(versions, name), encoding='utf-8') as source:
            text = source.read()
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if not revision or not down:
            return None
        revisions.add(revision.group(1))
        parents.update(_NAMES.findall(down.group(1)))
    return revisions, parents


def head_from_sources(versions):
    """The head revision of the migration sources in the directory versions: every revision minus
    every one named as a down_revision. None unless that leaves exactly one (then ask alembic)."""
    sources = read_sources(versions)
    if sources is None:
        return None
    heads = sources[0] - sources[1]
    return heads.pop() if len(heads) == 1 else None


def is_ahead(current, revisions):
    """Whether a database at revision current was made by a newer MLflow than the one whose
    migrations are revisions (None: not known). Such a database cannot be upgraded, and the
    installed MLflow refuses to serve it."""
    if current is None or revisions is None:
        return False
    return current not in revisions


def is_empty(tables):
    """Whether a database with these tables holds no MLflow data yet (alembic's own table aside)."""
    return all(name.startswith('alembic_') for name in tables)


def dump_path(directory, database, revision, now=None):
    """Where a dump of database at revision goes: <database>-<UTC time>-<revision or 'empty'>.sql.gz."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))
    return os.path.join(directory, '%s-%s-%s.sql.gz' % (database, stamp, revision or 'empty'))


def dump_command(host, port, user, database, result_file):
    """mysqldump's arguments for a consistent dump of one InnoDB database, while it is in use, into
    result_file. The password goes in the environment (MYSQL_PWD), never here."""
    return ['mysqldump', '--single-transaction', '--no-tablespaces', '--skip-lock-tables',
            '--host=%s' % (host or 'localhost'), '--port=%d' % (port or 3306), '--user=%s' % user,
            '--result-file=%s' % result_file, database]


def scrub(message, uri, password):
    """message without the backend store URI or its password."""
    text = str(message)
    if uri:
        text = text.replace(uri, '<backend store URI>')
    if password:
        text = text.replace(password, '<password>')
    return text


def restore_command(host, port, user, database):
    """The mysql client's arguments that load a dump (on its standard input) into database. The
    password goes in the environment (MYSQL_PWD), never here."""
    return ['mysql', '--batch', '--host=%s' % (host or 'localhost'), '--port=%d' % (port or 3306),
            '--user=%s' % user, database]


def drop_statements(tables):
    """The statements that empty a database of these tables, in any order of their foreign keys:
    a dump holds only the tables of its own revision, and a table a failed upgrade added must not
    outlive the restore."""
    quoted = ', '.join('`%s`' % name.replace('`', '``') for name in sorted(tables))
    if not quoted:
        return []
    return ['SET FOREIGN_KEY_CHECKS = 0', 'DROP TABLE IF EXISTS %s' % quoted, 'SET FOREIGN_KEY_CHECKS = 1']
