#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mlflow_schema
short_description: Read, or bring up to date, the MLflow schema of a backend store database
version_added: 0.1.0
description:
  - Reads the alembic revision of an MLflow backend store and the head revision the installed MLflow needs.
  - With O(state=latest), when the database is behind, dumps it first (mysqldump, into O(dump_dir)) and then runs
    MLflow's own schema upgrade (C(mlflow db upgrade)). A database without MLflow tables is not dumped.
  - A database at a revision the installed MLflow does not know was made by a newer MLflow; it is never upgraded
    (O(state=latest) fails and names both), and RV(ahead) says so.
  - With O(state=restored), empties the database (every table) and loads O(dump) into it with the mysql client, which
    gives back the database as it was before an upgrade that failed.
  - Runs with the Python of MLflow's virtualenv (set C(ansible_python_interpreter) to it for the task), which has
    MLflow, SQLAlchemy and the database driver.
  - No message holds the URI or the password, even when the database driver quotes them.
author:
  - Filament MLflow maintainers (@filament)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the revisions and reports whether a real run would dump and upgrade (or restore), without doing it.
  diff_mode:
    support: none
    details:
      - The revisions before and after are returned instead.
  platform:
    platforms: posix
options:
  backend_store_uri:
    description:
      - The SQLAlchemy URI of the backend store, as C(mlflow server --backend-store-uri) takes it.
    type: str
    required: true
  state:
    description:
      - V(read) only reads the revisions.
      - V(latest) upgrades a database that is behind, after a dump.
      - V(restored) replaces the database with the contents of O(dump).
    type: str
    choices: [read, latest, restored]
    default: read
  dump_dir:
    description:
      - The directory a dump before an upgrade is written to (files 0600). Required with O(state=latest).
    type: path
  dump:
    description:
      - A gzipped dump this module wrote before an upgrade (RV(dump)). Required with O(state=restored).
    type: path
  connect_attempts:
    description:
      - How often to try to reach the database before giving up, two seconds apart.
    type: int
    default: 5
requirements:
  - mlflow, sqlalchemy and alembic (MLflow's own dependencies) for the interpreter that runs the module
  - mysqldump on the host, for a dump before an upgrade; the mysql client, to restore one
notes:
  - Give the task C(no_log) when the URI holds a password, as for any task whose arguments hold one.
"""

EXAMPLES = r"""
- name: Bring the MLflow schema up to date, after a dump
  filament.mlflow.mlflow_schema:
    backend_store_uri: "mysql+pymysql://mlflow:{{ db_password | urlencode }}@127.0.0.1:3306/mlflow"
    state: latest
    dump_dir: /var/backups/mlflow
  vars:
    ansible_python_interpreter: /opt/mlflow/venv/bin/python
  no_log: true
  register: schema

- name: Put the database back as it was before the upgrade
  filament.mlflow.mlflow_schema:
    backend_store_uri: "mysql+pymysql://mlflow:{{ db_password | urlencode }}@127.0.0.1:3306/mlflow"
    state: restored
    dump: "{{ schema.dump }}"
  vars:
    ansible_python_interpreter: /opt/mlflow/venv/bin/python
  no_log: true
"""

RETURN = r"""
current:
  description: The revision of the database when the task began; null for a database without MLflow tables.
  returned: success
  type: str
  sample: 1b5f0d9ad7c1
head:
  description: The revision the installed MLflow needs.
  returned: success
  type: str
  sample: 1b5f0d9ad7c1
empty:
  description: Whether the database held no MLflow tables when the task began.
  returned: success
  type: bool
behind:
  description: Whether the database was behind the installed MLflow when the task began.
  returned: success
  type: bool
ahead:
  description: Whether the database was at a revision the installed MLflow does not know (a newer MLflow made it).
  returned: success
  type: bool
revision:
  description: The revision of the database when the task ended (with O(state=latest) and not in check mode, the head).
  returned: success
  type: str
dump:
  description: The dump taken before the upgrade.
  returned: when a dump was written
  type: str
  sample: /var/backups/mlflow/mlflow-20261201T120000Z-4465047574b1.sql.gz
"""

import contextlib
import gzip
import io
import os
import shutil
import time
import traceback
from importlib.util import find_spec

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.filament.mlflow.plugins.module_utils import mlflow_schema as logic


def migrations_dir():
    return os.path.join(find_spec('mlflow').submodule_search_locations[0], 'store', 'db_migrations')


def known_revisions():
    """Every revision the installed MLflow's migrations know; None when the sources are unclear."""
    sources = logic.read_sources(os.path.join(migrations_dir(), 'versions'))
    return sources[0] if sources else None


def head_revision():
    head = logic.head_from_sources(os.path.join(migrations_dir(), 'versions'))
    if head is not None:
        return head
    # Anything unusual in the sources: ask alembic.
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(migrations_dir()).get_heads()
    if len(heads) != 1:
        raise RuntimeError('expected one head revision in MLflow\'s migrations, found %s' % heads)
    return heads[0]


def read(uri, attempts):
    """(current revision or None, whether the database holds no MLflow tables)."""
    import sqlalchemy
    from alembic.runtime.migration import MigrationContext

    engine = sqlalchemy.create_engine(uri, pool_pre_ping=True)
    try:
        for attempt in range(1, attempts + 1):
            try:
                with engine.connect() as connection:
                    tables = sqlalchemy.inspect(connection).get_table_names()
                    current = MigrationContext.configure(connection).get_current_revision()
                break
            except sqlalchemy.exc.OperationalError:
                if attempt == attempts:
                    raise
                time.sleep(2)
    finally:
        engine.dispose()
    empty = logic.is_empty(tables)
    return (None if empty else current), empty


def dump(module, uri, directory, revision):
    """A gzipped dump of the database in directory (0600); written in full or not at all."""
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    path = logic.dump_path(directory, url.database, revision)
    raw = path[:-len('.gz')] + '.part'
    try:
        # umask 077: the dump is readable by root only from its first byte.
        rc, dummy, err = module.run_command(
            logic.dump_command(url.host, url.port, url.username, url.database, raw),
            environ_update={'MYSQL_PWD': url.password or ''}, umask=0o077)
        if rc != 0:
            raise RuntimeError('mysqldump failed: %s' % err.strip())
        descriptor = os.open(path + '.part', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(raw, 'rb') as source, os.fdopen(descriptor, 'wb') as target, \
                gzip.GzipFile(fileobj=target, mode='wb') as packed:
            shutil.copyfileobj(source, packed)
        os.replace(path + '.part', path)
    finally:
        for leftover in (raw, path + '.part'):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return path


def restore(module, uri, path):
    """Every table of the database dropped, then the dump loaded by the mysql client (from a copy
    unpacked beside the dump, readable by root only, removed after)."""
    import sqlalchemy

    url = sqlalchemy.engine.make_url(uri)
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.begin() as connection:
            for statement in logic.drop_statements(sqlalchemy.inspect(connection).get_table_names()):
                connection.execute(sqlalchemy.text(statement))
    finally:
        engine.dispose()
    unpacked = path[:-len('.gz')] + '.restore' if path.endswith('.gz') else path + '.restore'
    try:
        descriptor = os.open(unpacked, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with gzip.open(path, 'rb') as packed, os.fdopen(descriptor, 'wb') as target:
            shutil.copyfileobj(packed, target, 1024 * 1024)
        command = logic.restore_command(url.host, url.port, url.username, url.database)
        rc, dummy, err = module.run_command(command + ['--execute=source %s' % unpacked],
                                            environ_update={'MYSQL_PWD': url.password or ''})
        if rc != 0:
            raise RuntimeError('mysql failed: %s' % err.strip())
    finally:
        if os.path.exists(unpacked):
            os.unlink(unpacked)


def upgrade(uri):
    from mlflow.db import commands

    # Whatever MLflow or alembic prints must not mix with the module's answer.
    with contextlib.redirect_stdout(io.StringIO()):
        commands.main(args=['upgrade', uri], prog_name='mlflow db', standalone_mode=False)


def installed_version():
    from importlib.metadata import version

    return version('mlflow')


def password_of(uri):
    try:
        from sqlalchemy.engine import make_url

        return make_url(uri).password
    except Exception:  # pylint: disable=broad-except  # an unparsable URI has no password to hide
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backend_store_uri=dict(type='str', required=True, no_log=True),
            state=dict(type='str', choices=['read', 'latest', 'restored'], default='read'),
            dump_dir=dict(type='path'),
            dump=dict(type='path'),
            connect_attempts=dict(type='int', default=5),
        ),
        required_if=[('state', 'latest', ['dump_dir']), ('state', 'restored', ['dump'])],
        supports_check_mode=True,
    )
    params = module.params
    uri = params['backend_store_uri']
    # MLflow itself is not imported (a second of the run): its migrations are read from its sources.
    try:
        import sqlalchemy  # noqa: F401  pylint: disable=unused-import
        if find_spec('mlflow') is None:
            raise ImportError('No module named mlflow')
    except ImportError:
        module.fail_json(msg=missing_required_lib('mlflow (run the task with the Python of MLflow\'s virtualenv)'),
                         exception=traceback.format_exc())

    step, result = 'reading the schema', {}
    try:
        head = head_revision()
        current, empty = read(uri, max(1, params['connect_attempts']))
        ahead = logic.is_ahead(current, known_revisions())
        result = dict(changed=False, current=current, head=head, empty=empty, behind=current != head and not ahead,
                      ahead=ahead, revision=current)
        if params['state'] == 'restored':
            if not os.path.isfile(params['dump']):
                module.fail_json(msg='the dump %s is not there' % params['dump'], **result)
            result['changed'] = True
            if not module.check_mode:
                step = 'restoring the database from %s' % params['dump']
                restore(module, uri, params['dump'])
                step = 'reading the schema after the restore'
                result['revision'], result['empty'] = read(uri, 1)
        elif params['state'] == 'latest' and ahead:
            module.fail_json(msg='the database is at schema revision %s, which MLflow %s does not know: a newer MLflow made '
                                 'it, and it cannot go back. Install that release or a newer one, or restore a dump this '
                                 'release made' % (current, installed_version()), **result)
        elif params['state'] == 'latest' and result['behind']:
            result['changed'] = True
            if not module.check_mode:
                if not empty:
                    step = 'dumping the database before the upgrade (the schema was left as it is)'
                    result['dump'] = dump(module, uri, params['dump_dir'], current)
                step = 'upgrading the schema'
                upgrade(uri)
                step = 'reading the schema after the upgrade'
                result['revision'], dummy = read(uri, 1)
    except Exception as exc:  # pylint: disable=broad-except  # reported with the URI and password taken out
        message = logic.scrub('%s: %s' % (type(exc).__name__, exc), uri, password_of(uri))
        if result.get('dump'):
            message += '; the dump taken before it is %s' % result['dump']
        module.fail_json(msg='%s failed: %s' % (step, message), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
