"""Unit tests of benchmarks/runs.py: several benchmark runs side by side, a target met only when it
held in every one."""

import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / 'benchmarks'))
import runs  # noqa: E402  pylint: disable=wrong-import-position


def check(name, value_text, ok, target='>= 6x'):
    return {'name': name, 'value': None, 'value_text': value_text, 'target': target, 'ok': ok}


def result(tmp_path, stamp, targets, mode='full'):
    path = tmp_path / ('%s.json' % stamp)
    path.write_text(json.dumps({'mode': mode, 'timestamp': stamp, 'targets': targets}))
    return path


@pytest.fixture
def three(tmp_path):
    """Three full runs written out of order, a short one between them, and latest.json."""
    paths = [
        result(tmp_path, '20261205T100000', [check('log_metric', '7.19x', True), check('stack', '1.09 GiB', False, '<= 1.0 GiB')]),
        result(tmp_path, '20261205T080000', [check('log_metric', '5.07x', False), check('stack', 'not measured', None, '<= 1.0 GiB')]),
        result(tmp_path, '20261205T090000', [check('log_metric', '6.50x', True)], mode='short'),
        result(tmp_path, '20261205T070000', [check('log_metric', '8.35x', True), check('stack', '0.98 GiB', True, '<= 1.0 GiB'),
                                             check('errors', '0', True, '0')]),
    ]
    (tmp_path / 'latest.json').write_text(paths[0].read_text())
    return tmp_path


def test_the_last_full_runs_oldest_first_without_short_runs_or_the_copy(three):
    assert [pathlib.Path(p).stem for p in runs.last_full(str(three), 5)] == ['20261205T070000', '20261205T080000', '20261205T100000']
    assert [pathlib.Path(p).stem for p in runs.last_full(str(three), 2)] == ['20261205T080000', '20261205T100000']


def test_a_target_holds_in_the_runs_that_met_it_and_counts_only_where_measured(three):
    loaded = runs.load(runs.last_full(str(three), 5))
    rows = {name: (target, cells, held, measured) for name, target, cells, held, measured in runs.table(loaded)}
    assert rows['log_metric'] == ('>= 6x', [('8.35x', True), ('5.07x', False), ('7.19x', True)], 2, 3)
    assert rows['stack'] == ('<= 1.0 GiB', [('0.98 GiB', True), None, ('1.09 GiB', False)], 1, 2)
    assert rows['errors'] == ('0', [('0', True), None, None], 1, 1)


def test_the_table_marks_each_miss_and_says_how_often_each_target_held(three):
    loaded = runs.load(runs.last_full(str(three), 5))
    text = runs.render(loaded, runs.table(loaded), markdown=True).splitlines()
    assert text[0] == '| target | wanted | 20261205T070000 | 20261205T080000 | 20261205T100000 | held in |'
    assert text[2] == '| log_metric | >= 6x | 8.35x | 5.07x (miss) | 7.19x | 2 of 3 |'
    assert text[3] == '| stack | <= 1.0 GiB | 0.98 GiB | - | 1.09 GiB (miss) | 1 of 2 |'


def test_met_only_when_every_target_held_in_every_run(tmp_path, three, capsys):
    assert runs.main([str(p) for p in sorted(three.glob('2*.json'))]) == 1
    assert '4 run(s); 0 of 3 targets held in every one' in capsys.readouterr().out
    good = tmp_path / 'good'
    good.mkdir()
    paths = [result(good, stamp, [check('log_metric', '7.00x', True)]) for stamp in ('20261206T010000', '20261206T020000')]
    assert runs.main([str(p) for p in paths]) == 0
    assert '2 run(s); 1 of 1 targets held in every one' in capsys.readouterr().out


def test_without_runs_it_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runs, 'RESULTS', str(tmp_path))
    assert runs.main([]) == 2
    assert 'run `make bench` first' in capsys.readouterr().err
