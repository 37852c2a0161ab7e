# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit and integration tests."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

ROLES = pathlib.Path(__file__).resolve().parents[1] / 'roles'


@pytest.fixture(scope='session')
def role_python_template(tmp_path_factory):
    """Load a role's Python template (roles/<role>/templates/<name>.py.j2) as a module. Such a
    template's only Jinja is its first line, ansible_managed as a comment; that line is dropped."""

    def load(role, name):
        lines = (ROLES / role / 'templates' / (name + '.py.j2')).read_text(encoding='utf-8').splitlines(keepends=True)
        assert '{{' in lines[0] and not any('{{' in line or '{%' in line for line in lines[1:]), \
            '%s.py.j2 has Jinja beyond its first line' % name
        path = tmp_path_factory.mktemp(role) / (name.replace('-', '_') + '.py')
        path.write_text(''.join(lines[1:]), encoding='utf-8')
        spec = importlib.util.spec_from_file_location(path.stem + '_under_test', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
