# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server role's schema helper: the head revision read from MLflow's migration sources."""

from __future__ import annotations

import pathlib

import pytest


@pytest.fixture(scope='module')
def schema(role_python_template):
    return role_python_template('server', 'mlflow-schema')


def write(directory, name, revision, down):
    (directory / name).write_text(
        '"""a migration"""\nfrom alembic import op\n\n'
        f'# revision identifiers, used by Alembic.\nrevision = {revision}\ndown_revision = {down}\n'
        'branch_labels = None\n\n\ndef upgrade():\n    pass\n',
        encoding='utf-8')


def test_linear_chain(schema, tmp_path):
    write(tmp_path, 'a.py', '"451aebb31d03"', 'None')
    write(tmp_path, 'b.py', "'90e64c465722'", "'451aebb31d03'")
    write(tmp_path, 'c.py', '"181f10493468"', '"90e64c465722"')
    (tmp_path / '__init__.py').write_text('', encoding='utf-8')
    (tmp_path / 'README').write_text('revision = "nope"', encoding='utf-8')
    assert schema._head_from_sources(str(tmp_path)) == '181f10493468'


def test_typed_assignments_and_merge_revision(schema, tmp_path):
    write(tmp_path, 'a.py', '"aaaa"', 'None')
    write(tmp_path, 'b.py', '"bbbb"', '"aaaa"')
    write(tmp_path, 'c.py', '"cccc"', '"aaaa"')
    (tmp_path / 'd.py').write_text(
        'revision: str = "dddd"\ndown_revision: Union[str, Sequence[str], None] = ("bbbb", "cccc")\n',
        encoding='utf-8')
    assert schema._head_from_sources(str(tmp_path)) == 'dddd'


@pytest.mark.parametrize('case', ['two heads', 'unreadable'])
def test_unclear_sources_defer_to_alembic(schema, tmp_path, case):
    write(tmp_path, 'a.py', '"aaaa"', 'None')
    write(tmp_path, 'b.py', '"bbbb"', '"aaaa"')
    if case == 'two heads':
        write(tmp_path, 'c.py', '"cccc"', '"aaaa"')
    else:
        (tmp_path / 'c.py').write_text('REVISION = make_revision()\n', encoding='utf-8')
    assert schema._head_from_sources(str(tmp_path)) is None


def test_installed_mlflow_has_one_head(schema):
    versions = pathlib.Path(schema._migrations_dir()) / 'versions'
    if not versions.is_dir():
        pytest.fail(f'MLflow in this virtualenv ships no migrations at {versions}')
    head = schema._head_from_sources(str(versions))
    assert head is not None
    # The head is a revision that no migration names as its parent.
    for migration in versions.glob('*.py'):
        parents = [line for line in migration.read_text(encoding='utf-8').splitlines() if line.startswith('down_revision')]
        assert not any(head in line for line in parents), migration.name
