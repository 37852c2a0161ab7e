# -*- coding: utf-8 -*-
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.filament.mlflow.plugins.plugin_utils import advisories as logic

ROLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'server')


def table():
    with open(os.path.join(ROLE, 'vars', 'advisories.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)['__server_advisories']


def ids(entries):
    return [entry['id'] for entry in entries]


def test_the_role_s_table_is_well_formed():
    assert logic.check_table(table()) == []


def test_the_role_s_default_release_is_not_refused():
    with open(os.path.join(ROLE, 'defaults', 'main.yml'), encoding='utf-8') as handle:
        default = yaml.safe_load(handle)['server_mlflow_version']
    assert logic.refused(default, table(), 'proxy') == []
    assert logic.refused(default, table(), 'mlflow') == []


def test_3_16_1_is_refused_for_the_scorer_and_gateway_advisories():
    assert ids(logic.refused('3.16.1', table())) == ['CVE-2026-116692', 'CVE-2026-71211']
    # Accepted by CVE or by GHSA id.
    assert ids(logic.refused('3.16.1', table(), accepted=['CVE-2026-116692', 'GHSA-h7x2-h6g9-p789'])) == []
    assert ids(logic.refused('3.16.1', table(), accepted=['CVE-2026-116692'])) == ['CVE-2026-71211']


def test_the_basic_auth_advisories_count_only_with_mlflow_s_own_auth():
    assert 'CVE-2026-2635' not in ids(logic.affecting('3.16.0', table(), 'proxy'))
    assert 'CVE-2026-2635' in ids(logic.affecting('3.16.0', table(), 'mlflow'))
    assert 'CVE-2026-2635' not in ids(logic.affecting('3.16.1', table(), 'mlflow'))


def test_a_file_store_advisory_never_counts():
    assert 'CVE-2026-53995' not in ids(logic.affecting('3.17.2', table(), 'mlflow'))


def test_ranges_with_a_lower_bound_and_pre_releases():
    entries = [dict(id='CVE-X', severity='high', summary='s', affected='>=2.14.0rc0,<3.13.0', fixed='3.13.0',
                    applies='always', source='https://example.org')]
    assert ids(logic.affecting('2.13.2', entries)) == []
    assert ids(logic.affecting('2.14.0rc0', entries)) == ['CVE-X']
    # PEP 440: <3.13.0 leaves out 3.13.0's own pre-releases (fixes land in the first of them).
    assert ids(logic.affecting('3.13.0rc0', entries)) == []
    assert ids(logic.affecting('3.13.0', entries)) == []


def test_unknown_accepted_names_are_found():
    assert logic.unknown(['CVE-2026-116692', 'GHSA-26p8-2jq9-3vq9', 'CVE-2099-1'], table()) == ['CVE-2099-1']


def test_a_malformed_table_is_named():
    entry = dict(id='CVE-X', severity='medium', summary='s', affected='<3.0', fixed='2.9', applies='sometimes',
                 source='https://example.org')
    problems = logic.check_table([entry, dict(entry), {'id': 'CVE-Y'}])
    assert 'CVE-X: severity must be one of high, critical' in problems
    assert 'CVE-X: applies must be one of always, mlflow_auth, file_store' in problems
    assert 'CVE-X: the fixed release 2.9 is in the affected range <3.0' in problems
    assert 'CVE-X is listed twice' in problems
    assert 'CVE-Y lacks severity, summary, affected, fixed, applies, source' in problems


def test_a_version_that_is_no_release_is_named():
    with pytest.raises(logic.AdvisoryError, match="'three' is not a release number"):
        logic.affecting('three', table())


def test_describe_names_id_severity_fix_and_source():
    text = logic.describe(logic.affecting('3.16.1', table())[:1])
    assert text.startswith('CVE-2026-116692 (GHSA-26p8-2jq9-3vq9, critical: ')
    assert 'fixed in 3.17.0, https://github.com/mlflow/mlflow/pull/25906)' in text
