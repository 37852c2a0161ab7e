# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the hash-locked requirement files and the wheelhouses built from them."""

from __future__ import annotations

import hashlib
import pathlib
import sys

import pytest
import yaml

from ansible_collections.filament.mlflow.plugins.module_utils import python_lock as logic

ROOT = pathlib.Path(__file__).resolve().parents[4]
LOCKS = ROOT / 'roles' / 'server' / 'files' / 'requirements'
A = 'a' * 64
B = 'b' * 64
LOCK = """# a comment
mlflow==3.17.2 \\
    --hash=sha256:%s \\
    --hash=sha256:%s
    # via -r requirements.in
pywin32==312 ; sys_platform == 'win32' \\
    --hash=sha256:%s
tomli==2.0.1 ; python_full_version < '3.12' \\
    --hash=sha256:%s
Flask_WTF==1.2.2 \\
    --hash=sha256:%s
""" % (A, B, A, B, A)


def test_parse_reads_pins_markers_and_hashes():
    entries = logic.parse(LOCK)
    assert [e['name'] for e in entries] == ['mlflow', 'pywin32', 'tomli', 'flask-wtf']
    assert entries[0] == {'name': 'mlflow', 'version': '3.17.2', 'marker': '', 'hashes': [A, B]}
    assert entries[1]['marker'] == "sys_platform == 'win32'"


@pytest.mark.parametrize('text, message', [
    ('mlflow>=3.17\n', 'is not pinned to one version with == [(]or to one file'),
    ('mlflow==3.17.2\n', 'has no --hash=sha256 line'),
    ('mlflow==3.17.2 --hash=sha256:xyz\n', 'is not a sha256 hash'),
    ('--index-url https://mirror.example/simple\nmlflow==3.17.2 --hash=sha256:%s\n' % A, 'sets pip option --index-url'),
    ('# nothing\n', 'holds no entries'),
])
def test_parse_refuses_what_is_not_a_lock(text, message):
    with pytest.raises(logic.LockError, match=message):
        logic.parse(text)


@pytest.mark.parametrize('python, machine, names', [
    ('3.11', 'x86_64', ['mlflow', 'tomli', 'flask-wtf']),
    ('3.13', 'aarch64', ['mlflow', 'flask-wtf']),
])
def test_select_evaluates_markers_for_the_target_not_the_controller(python, machine, names):
    assert [e['name'] for e in logic.select(logic.parse(LOCK), python, machine)] == names


@pytest.mark.parametrize('python, machine, message', [
    ('3', 'x86_64', 'must be 3.N'),
    ('2.7', 'x86_64', 'must be 3.N'),
    ('3.11', 'armv7l', 'must be one of x86_64, aarch64'),
])
def test_environment_refuses_unknown_targets(python, machine, message):
    with pytest.raises(logic.LockError, match=message):
        logic.environment(python, machine)


def test_render_writes_a_lock_that_parses_back_to_the_same_entries():
    chosen = logic.select(logic.parse(LOCK), '3.11', 'x86_64')
    again = logic.parse(logic.render(chosen))
    assert [(e['name'], e['version'], e['hashes']) for e in again] == [(e['name'], e['version'], e['hashes']) for e in chosen]


def test_problems_names_the_release_and_what_is_not_pinned():
    assert logic.problems(LOCK, '3.17.2', ['Flask-WTF>=1.2,<2', 'tomli']) == []
    assert logic.problems(LOCK, '3.16.1', ['boto3>=1.40,<2', 'flask_wtf']) == [
        'it pins mlflow 3.17.2, not server_mlflow_version 3.16.1', 'it does not pin boto3>=1.40,<2']
    assert logic.problems('nonsense\n', '3.17.2', []) == [
        'nonsense is not pinned to one version with == (or to one file with name @ URL)']


def test_a_file_named_by_url_is_pinned_by_its_hash():
    text = LOCK + 'filament-test-fault @ file:///srv/wheels/fault-0.1-py3-none-any.whl \\\n    --hash=sha256:%s\n' % B
    entries = logic.parse(text)
    assert entries[-1] == {'name': 'filament-test-fault', 'version': '', 'url': 'file:///srv/wheels/fault-0.1-py3-none-any.whl',
                           'marker': '', 'hashes': [B]}
    assert logic.problems(text, '3.17.2', ['filament-test-fault @ file:///srv/wheels/fault-0.1-py3-none-any.whl']) == []
    assert logic.parse(logic.render(entries))[-1] == entries[-1]


def test_digest_and_archive_name_match_the_roles_naming():
    # roles/server/vars/main.yml: ([lock, uv_lock] | join('\n') | hash('sha256'))[:10]
    assert logic.digest('x', 'y') == hashlib.sha256(b'x\ny').hexdigest()[:10]
    assert logic.archive_name('3.17.2', '0123456789', '3.11', 'x86_64') == 'mlflow-3.17.2-0123456789-cp311-x86_64.tar'


def test_pip_download_args_take_only_wheels_for_the_target():
    args = logic.pip_download_args('3.13', 'aarch64')
    assert args[:3] == ['--only-binary=:all:', '--no-deps', '--require-hashes']
    assert args[args.index('--python-version') + 1] == '3.13'
    assert 'cp313' in args and 'manylinux_2_36_aarch64' in args and 'manylinux_2_17_aarch64' in args
    assert not [a for a in args if 'x86_64' in a]


def test_unlisted_wheels_are_those_whose_digest_the_lock_lacks():
    entries = logic.parse(LOCK)
    assert logic.unlisted_wheels(entries, {'mlflow.whl': A, 'evil.whl': 'c' * 64}) == ['evil.whl']


# The role's own locks: each compiled by tools/compile_lock.py from the role's current inputs.
sys.path.insert(0, str(ROOT / 'tools'))
import compile_lock  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize('lock', sorted(LOCKS.glob('mlflow-*.txt')), ids=lambda p: p.name)
def test_the_roles_locks_are_compiled_from_its_inputs(lock):
    version = lock.name[len('mlflow-'):-len('.txt')]
    text = lock.read_text()
    assert text.startswith(compile_lock.header(compile_lock.inputs(version), compile_lock.left_out())), (
        '%s is out of step with the role: run tools/compile_lock.py %s' % (lock.name, version))
    role_vars = yaml.safe_load((ROOT / 'roles' / 'server' / 'vars' / 'main.yml').read_text())
    assert logic.problems(text, version, role_vars['__server_base_requirements']) == []
    names = set(logic.pinned(logic.select(logic.parse(text), '3.11', 'x86_64')))
    assert len(names) > 80 and {'pandas', 'numpy', 'sqlalchemy', 'pymysql'} <= names
    assert not names & {logic.normalize(n) for n in role_vars['__server_lock_left_out']}
    # Nothing more to take out: every package that stays is an input or pulled in by one that stays.
    body = text[text.index('\n', text.index('# Left out')) + 1:]
    assert compile_lock.leave_out(body, compile_lock.left_out(), compile_lock.inputs(version)) == body


# uv's lock of a made-up input `app`: `plot` pulls in `theme`, and `fonts` (which both pull in and
# nothing else needs), and `num`, which `app` needs too; `extra` is an input of its own although
# `plot` pulls it in.
UV_LOCK = """app==1.0 \\
    --hash=sha256:%s
    # via -r /tmp/x/requirements.in
extra==2.0 \\
    --hash=sha256:%s
    # via
    #   -r /tmp/x/requirements.in
    #   plot
fonts==3.0 \\
    --hash=sha256:%s
    # via
    #   plot
    #   theme
num==1.5 ; python_full_version < '3.12' \\
    --hash=sha256:%s
    # via
    #   app
    #   plot
plot==4.0 \\
    --hash=sha256:%s
    # via app
theme==0.1 \\
    --hash=sha256:%s
    # via plot
""" % (A, B, A, B, A, B)


def test_leave_out_takes_the_package_and_what_only_it_pulls_in():
    out = compile_lock.leave_out(UV_LOCK, ['Plot'], ['app==1.0', 'extra>=2'])
    assert [line.split('==')[0] for line in out.splitlines() if not line[0].isspace()] == ['app', 'extra', 'num']
    assert '    # via -r /tmp/x/requirements.in\nnum' in out
    assert "num==1.5 ; python_full_version < '3.12' \\\n    --hash=sha256:%s\n    # via app\n" % B in out
    assert 'plot' not in out and 'fonts' not in out and 'theme' not in out


def test_leave_out_keeps_an_input_and_a_lock_with_nothing_to_take():
    assert compile_lock.leave_out(UV_LOCK, [], ['app']) == UV_LOCK
    assert 'plot==4.0' in compile_lock.leave_out(UV_LOCK, ['plot'], ['app', 'plot'])
    assert compile_lock.header(['app'], ['plot']).endswith('#   app\n# Left out, with what only they pull in: plot\n')


def test_the_uv_lock_pins_the_roles_uv():
    role_vars = yaml.safe_load((ROOT / 'roles' / 'server' / 'vars' / 'main.yml').read_text())
    assert logic.pinned(logic.parse((LOCKS / 'uv.txt').read_text())) == {'uv': role_vars['__server_uv_version']}


def test_the_default_release_has_a_lock():
    defaults = yaml.safe_load((ROOT / 'roles' / 'server' / 'defaults' / 'main.yml').read_text())
    assert (LOCKS / ('mlflow-%s.txt' % defaults['server_mlflow_version'])).is_file()
