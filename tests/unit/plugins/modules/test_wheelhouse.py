# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wheelhouse module, with a stand-in for pip that writes known wheels."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tarfile
import textwrap

import pytest

from ansible_collections.filament.mlflow.plugins.modules import wheelhouse as module

WHEELS = {'mlflow-3.17.2-py3-none-any.whl': b'mlflow wheel', 'uv-0.13.9-py3-none-manylinux_2_17_x86_64.whl': b'uv wheel'}


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def pip(tmp_path):
    """An interpreter whose `-m pip download --dest D` writes WHEELS (and EXTRA, when set) into D."""
    script = tmp_path / 'python'
    script.write_text(textwrap.dedent('''\
        #!%s
        import os, sys
        args = sys.argv[1:]
        if os.environ.get('FAKE_PIP_FAIL'):
            sys.stderr.write('ERROR: No matching distribution found for mlflow==3.17.2\\n')
            sys.exit(1)
        dest = args[args.index('--dest') + 1]
        os.makedirs(dest)
        wheels = %r
        if os.environ.get('FAKE_PIP_EXTRA'):
            wheels['evil-1.0-py3-none-any.whl'] = b'evil'
        for name, data in wheels.items():
            with open(os.path.join(dest, name), 'wb') as handle:
                handle.write(data)
        ''' % (sys.executable, WHEELS)))
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def locks(tmp_path):
    lock = tmp_path / 'mlflow-3.17.2.txt'
    lock.write_text('mlflow==3.17.2 \\\n    --hash=sha256:%s\npywin32==312 ; sys_platform == "win32" \\\n'
                    '    --hash=sha256:%s\n' % (sha(WHEELS['mlflow-3.17.2-py3-none-any.whl']), 'f' * 64))
    uv = tmp_path / 'uv.txt'
    uv.write_text('uv==0.13.9 \\\n    --hash=sha256:%s\n' % sha(WHEELS['uv-0.13.9-py3-none-manylinux_2_17_x86_64.whl']))
    return str(lock), str(uv)


def args(locks, pip, dest, **more):
    return dict(dict(lock=locks[0], uv_lock=locks[1], mlflow_version='3.17.2', python='3.11', dest=str(dest),
                     pip_python=pip), **more)


def test_builds_an_archive_with_its_manifest_then_leaves_it(run_module, locks, pip, tmp_path):
    dest = tmp_path / 'wheelhouses'
    checked = run_module(module.main, args(locks, pip, dest), check_mode=True)
    assert checked['changed'] and not dest.exists()

    result = run_module(module.main, args(locks, pip, dest), diff=True)
    assert result['changed'] and result['wheels'] == 2, result
    assert result['diff']['before'] == {'archive': 'absent'}
    assert os.path.basename(result['archive']) == 'mlflow-3.17.2-%s-cp311-x86_64.tar' % result['lock_digest']
    with tarfile.open(result['archive']) as tar:
        assert sorted(tar.getnames()) == sorted(['wheelhouse.json'] + list(WHEELS))
        manifest = json.load(tar.extractfile('wheelhouse.json'))
    assert manifest['python'] == '3.11' and manifest['machine'] == 'x86_64'
    assert manifest['wheels'] == dict((name, sha(data)) for name, data in WHEELS.items())
    assert os.listdir(dest) == [os.path.basename(result['archive'])]

    again = run_module(module.main, args(locks, pip, dest))
    assert not again['changed'] and again['wheels'] == 2 and again['archive'] == result['archive']


def test_a_wheel_the_lock_does_not_list_leaves_no_archive(run_module, locks, pip, tmp_path, monkeypatch):
    monkeypatch.setenv('FAKE_PIP_EXTRA', '1')
    dest = tmp_path / 'wheelhouses'
    result = run_module(module.main, args(locks, pip, dest))
    assert result.get('failed') and 'evil-1.0-py3-none-any.whl' in result['msg']
    assert os.listdir(dest) == []


def test_pip_failing_is_reported_with_its_last_lines(run_module, locks, pip, tmp_path, monkeypatch):
    monkeypatch.setenv('FAKE_PIP_FAIL', '1')
    dest = tmp_path / 'wheelhouses'
    result = run_module(module.main, args(locks, pip, dest))
    assert result.get('failed') and 'No matching distribution found for mlflow==3.17.2' in result['msg']
    assert 'CPython 3.11 on x86_64' in result['msg'] and os.listdir(dest) == []


@pytest.mark.parametrize('more, message', [
    ({'mlflow_version': '3.16.1'}, 'pins mlflow 3.17.2, not mlflow_version 3.16.1'),
    ({'python': '3'}, 'must be 3.N'),
])
def test_bad_input_is_refused_before_anything_is_written(run_module, locks, pip, tmp_path, more, message):
    dest = tmp_path / 'wheelhouses'
    result = run_module(module.main, args(locks, pip, dest, **more))
    assert result.get('failed') and message in result['msg'] and not dest.exists()
