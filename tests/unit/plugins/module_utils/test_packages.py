# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the package checks behind filament.mlflow.packages."""

from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import packages as logic


def test_normalize_keeps_the_order_and_drops_repeats():
    assert logic.normalize(['mariadb-server', 'python3-pymysql', 'mariadb-server', 'libc6:amd64']) == \
        ['mariadb-server', 'python3-pymysql', 'libc6:amd64']
    assert logic.normalize([]) == []


@pytest.mark.parametrize('names, message', [
    ('mariadb-server', 'names must be a list'),
    (['ok', 'Bad_Name'], "names[1] must be a Debian package name, got 'Bad_Name'"),
    (['ok', 3], 'names[1] must be a Debian package name, got 3'),
    (['-rf'], 'names[0]'),
])
def test_normalize_names_the_wrong_one(names, message):
    with pytest.raises(logic.InvalidNames) as caught:
        logic.normalize(names)
    assert message in str(caught.value)


def test_drift_request_asks_for_python3_apt_once():
    assert logic.drift_request(['caddy']) == [
        {'key': 'caddy', 'names': ['caddy']}, {'key': 'python3-apt', 'names': ['python3-apt']}]
    assert logic.drift_request(['python3-apt']) == [{'key': 'python3-apt', 'names': ['python3-apt']}]


def test_missing_reads_the_drift_answer():
    names = ['caddy', 'python3-bcrypt']
    assert logic.missing(names, {'drifted': ['python3-bcrypt', 'python3-apt']}) == (['python3-bcrypt'], False)
    assert logic.missing(names, {'drifted': []}) == ([], True)


def test_apt_args():
    assert logic.apt_args(['caddy']) == {'name': ['caddy'], 'state': 'present', 'update_cache': True,
                                         'cache_valid_time': 3600, 'install_recommends': False}
