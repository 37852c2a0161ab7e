# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import replication as logic

ADDRESSES = {'a': '10.0.0.1', 'b': '10.0.0.2', 'c': '10.0.0.3'}
WRITER = {'read_only': False, 'source': '', 'binlog_pos': '0-1-50', 'has_database': True}


def replica(of='10.0.0.1', **changes):
    return dict({'read_only': True, 'source': of, 'binlog_pos': '0-1-50', 'has_database': True}, **changes)


@pytest.mark.parametrize('host, state, expected', [
    ('a', WRITER, 'primary'),
    ('b', None, 'seed'),                                              # a new host
    ('b', replica(), 'replicating'),
    ('b', replica(of='10.0.0.3'), 'repoint'),                         # a replica of an earlier primary
    ('b', replica(of='', binlog_pos='0-2-48'), 'repoint'),            # an earlier primary, back read-only
    ('b', replica(of='', binlog_pos='', has_database=True), 'seed'),  # a copy that did not finish loading
])
def test_each_host_is_given_its_part(host, state, expected):
    assert logic.plan(host, 'a', {'a': WRITER, host: state}, ADDRESSES) == expected


def test_a_reseed_is_asked_of_a_replica_only():
    states = {'a': WRITER, 'b': replica()}
    assert logic.plan('b', 'a', states, ADDRESSES, reseed=True) == 'seed'
    assert logic.plan('a', 'a', states, ADDRESSES, reseed=True) == 'primary'


def test_a_tier_that_agrees_with_the_inventory_has_no_problem():
    assert logic.problems('a', {'a': WRITER, 'b': replica(), 'c': None}, ADDRESSES) == []
    assert logic.problems('a', {'a': None, 'b': None}, ADDRESSES) == []


def test_writes_are_never_moved_by_the_inventory():
    hint = 'playbooks/db-promote.yml -e mysql_primary=b'
    # The inventory names a replica: it must be promoted, not turned into a second writer.
    assert logic.problems('b', {'a': WRITER, 'b': replica()}, ADDRESSES) == [
        'mysql_primary is b, but a is the host of mlflow_db that takes writes: set mysql_primary: a in the '
        'inventory, or move writes with %s.' % hint]
    # The primary is down and the named host is its replica.
    assert logic.problems('b', {'a': None, 'b': replica()}, ADDRESSES) == [
        'mysql_primary is b, but b replicates from a: make it the primary with %s.' % hint]
    # A fresh host named primary while another holds the data.
    assert logic.problems('b', {'a': replica(of=''), 'b': None}, ADDRESSES) == [
        'mysql_primary is b, which holds no MLflow database, but a does: set mysql_primary: a in the inventory.']
    # A server the package just installed takes writes but holds nothing: it is seeded.
    fresh = {'read_only': False, 'source': '', 'binlog_pos': '', 'has_database': False}
    assert logic.problems('a', {'a': WRITER, 'b': fresh}, ADDRESSES) == []
    assert logic.plan('b', 'a', {'a': WRITER, 'b': fresh}, ADDRESSES) == 'seed'
    two = logic.problems('a', {'a': WRITER, 'b': dict(WRITER)}, ADDRESSES)
    assert two[0].startswith('mlflow_db: a and b all take writes')


def test_the_replica_that_received_most_is_found():
    assert logic.gtid_seq('1-3-7,0-11-42') == 42 and logic.gtid_seq('') == 0
    assert logic.most_advanced({'b': '0-1-41', 'c': '0-1-42'}) == ['c']
    assert logic.most_advanced({'b': '0-1-42', 'c': '0-1-42'}) == ['b', 'c']
    assert logic.most_advanced({}) == []
    assert logic.source_host(replica(of='10.0.0.9'), ADDRESSES) == '10.0.0.9'
