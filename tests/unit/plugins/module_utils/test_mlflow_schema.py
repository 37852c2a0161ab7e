# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the schema logic: the head revision read from migration sources (also those of
the MLflow installed in this virtualenv), dumps and messages without secrets."""

from __future__ import annotations

import calendar
import pathlib
from importlib.util import find_spec

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import mlflow_schema as logic


def write(directory, name, revision, down):
    (directory / name).write_text(
        '"""a migration"""\nfrom alembic import op\n\n'
        f'# revision identifiers, used by Alembic.\nrevision = {revision}\ndown_revision = {down}\n'
        'branch_labels = None\n\n\ndef upgrade():\n    pass\n',
        encoding='utf-8')


def test_linear_chain(tmp_path):
    write(tmp_path, 'a.py', '"451aebb31d03"', 'None')
    write(tmp_path, 'b.py', "'90e64c465722'", "'451aebb31d03'")
    write(tmp_path, 'c.py', '"181f10493468"', '"90e64c465722"')
    (tmp_path / '__init__.py').write_text('', encoding='utf-8')
    (tmp_path / 'README').write_text('revision = "nope"', encoding='utf-8')
    assert logic.head_from_sources(str(tmp_path)) == '181f10493468'


def test_typed_assignments_and_merge_revision(tmp_path):
    write(tmp_path, 'a.py', '"aaaa"', 'None')
    write(tmp_path, 'b.py', '"bbbb"', '"aaaa"')
    write(tmp_path, 'c.py', '"cccc"', '"aaaa"')
    (tmp_path / 'd.py').write_text(
        'revision: str = "dddd"\ndown_revision: Union[str, Sequence[str], None] = ("bbbb", "cccc")\n',
        encoding='utf-8')
    assert logic.head_from_sources(str(tmp_path)) == 'dddd'


@pytest.mark.parametrize('case', ['two heads', 'unreadable'])
def test_unclear_sources_defer_to_alembic(tmp_path, case):
    write(tmp_path, 'a.py', '"aaaa"', 'None')
    write(tmp_path, 'b.py', '"bbbb"', '"aaaa"')
    if case == 'two heads':
        write(tmp_path, 'c.py', '"cccc"', '"aaaa"')
    else:
        (tmp_path / 'c.py').write_text('REVISION = make_revision()\n', encoding='utf-8')
    assert logic.head_from_sources(str(tmp_path)) is None


def test_installed_mlflow_has_one_head():
    versions = pathlib.Path(find_spec('mlflow').submodule_search_locations[0]) / 'store' / 'db_migrations' / 'versions'
    if not versions.is_dir():
        pytest.fail(f'MLflow in this virtualenv ships no migrations at {versions}')
    head = logic.head_from_sources(str(versions))
    assert head is not None
    # The head is a revision that no migration names as its parent.
    for migration in versions.glob('*.py'):
        parents = [line for line in migration.read_text(encoding='utf-8').splitlines() if line.startswith('down_revision')]
        assert not any(head in line for line in parents), migration.name


def test_a_database_with_only_alembic_tables_is_empty():
    assert logic.is_empty([]) and logic.is_empty(['alembic_version'])
    assert not logic.is_empty(['alembic_version', 'experiments'])


def test_dump_path_and_command():
    now = calendar.timegm((2026, 12, 1, 12, 0, 5, 0, 0, 0))
    assert logic.dump_path('/var/backups/mlflow', 'mlflow', '4465047574b1', now) == \
        '/var/backups/mlflow/mlflow-20261201T120005Z-4465047574b1.sql.gz'
    assert logic.dump_path('/d', 'mlflow', None, now).endswith('-empty.sql.gz')
    command = logic.dump_command('db.lab', 3307, 'mlflow', 'mlflow', '/d/x.part')
    assert command[0] == 'mysqldump' and '--single-transaction' in command
    assert command[-5:] == ['--host=db.lab', '--port=3307', '--user=mlflow', '--result-file=/d/x.part', 'mlflow']
    assert logic.dump_command(None, None, 'u', 'd', '/r')[-5:-3] == ['--host=localhost', '--port=3306']
    assert not any('password' in part for part in command)


def test_scrub_takes_out_the_uri_and_the_password():
    uri = 'mysql+pymysql://mlflow:s3cr%2Ft@db:3306/mlflow'
    message = "(1045) Access denied for 'mlflow' using s3cr/t at %s" % uri
    assert logic.scrub(message, uri, 's3cr/t') == "(1045) Access denied for 'mlflow' using <password> at <backend store URI>"
    assert logic.scrub('plain', '', None) == 'plain'


def test_a_revision_the_sources_do_not_know_is_ahead(tmp_path):
    write(tmp_path, 'a.py', '"451aebb31d03"', 'None')
    write(tmp_path, 'b.py', '"90e64c465722"', '"451aebb31d03"')
    revisions, parents = logic.read_sources(str(tmp_path))
    assert revisions == {'451aebb31d03', '90e64c465722'} and parents == {'451aebb31d03'}
    assert logic.is_ahead('f4a9b2c7d1e6', revisions)
    assert not logic.is_ahead('451aebb31d03', revisions)
    # A new database, or sources that could not be read, are never called ahead.
    assert not logic.is_ahead(None, revisions) and not logic.is_ahead('f4a9b2c7d1e6', None)


def test_restore_command_and_the_tables_it_drops_first():
    command = logic.restore_command('db.lab', 3307, 'mlflow', 'mlflow')
    assert command == ['mysql', '--batch', '--host=db.lab', '--port=3307', '--user=mlflow', 'mlflow']
    assert not any('password' in part for part in command)
    assert logic.drop_statements([]) == []
    statements = logic.drop_statements(['runs', 'experiments', 'odd`name'])
    assert statements[0] == 'SET FOREIGN_KEY_CHECKS = 0' and statements[-1] == 'SET FOREIGN_KEY_CHECKS = 1'
    assert statements[1] == 'DROP TABLE IF EXISTS `experiments`, `odd``name`, `runs`'
