# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the basic-auth hash keeping, with the real bcrypt library (at its lowest cost)."""

from __future__ import annotations

import json
import threading

import bcrypt
import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import basic_auth as logic

ROUNDS = 4


def hashed(password):
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=ROUNDS)).decode()


def test_keeps_matching_hashes_and_makes_the_others():
    alice, bob = hashed('alice-pw'), hashed('old-bob-pw')
    users = [{'username': 'alice', 'password': 'alice-pw'}, {'username': 'bob', 'password': 'new-bob-pw'},
             {'username': 'carol', 'password': 'carol-pw'}]
    hashes, new = logic.reconcile(bcrypt, users, {'alice': alice, 'bob': bob, 'gone': hashed('x')}, ROUNDS)
    assert new == ['bob', 'carol']
    assert hashes['alice'] == alice
    assert set(hashes) == {'alice', 'bob', 'carol'}
    assert bcrypt.checkpw(b'new-bob-pw', hashes['bob'].encode())
    assert bcrypt.checkpw(b'carol-pw', hashes['carol'].encode())
    assert hashes['carol'].startswith('$2b$04$')


def test_a_second_pass_keeps_everything():
    users = [{'username': 'alice', 'password': 'pw-1'}, {'username': 'bob', 'password': 12345}]
    first, new = logic.reconcile(bcrypt, users, {}, ROUNDS)
    assert new == ['alice', 'bob']
    again, new = logic.reconcile(bcrypt, users, first, ROUNDS)
    assert (again, new) == (first, [])


def test_users_are_checked_side_by_side():
    """Each user's check runs in its own thread: a slow check does not wait for the one before it."""
    started, release = [], threading.Barrier(2, timeout=5)

    class Recording:
        """bcrypt, but each check waits until the other user's check has begun too."""
        gensalt, hashpw = staticmethod(bcrypt.gensalt), staticmethod(bcrypt.hashpw)

        @staticmethod
        def checkpw(password, stored):
            started.append(password)
            release.wait()
            return bcrypt.checkpw(password, stored)

    users = [{'username': 'alice', 'password': 'a'}, {'username': 'bob', 'password': 'b'}]
    stored = {'alice': hashed('a'), 'bob': hashed('b')}
    assert logic.reconcile(Recording, users, stored, ROUNDS) == (stored, [])
    assert sorted(started) == [b'a', b'b']


def test_no_users_no_hashes():
    assert logic.reconcile(bcrypt, [], {'alice': hashed('a')}, ROUNDS) == ({}, [])


@pytest.mark.parametrize('stored', ['', 'not-a-hash', '$2b$04$short'])
def test_a_malformed_stored_hash_counts_as_no_hash(stored):
    assert logic.matches(bcrypt, 'pw', stored) is False


def test_store_round_trip():
    text = logic.store_text({'bob': 'b', 'alice': 'a'})
    assert text == '{\n    "alice": "a",\n    "bob": "b"\n}\n'
    assert logic.parse_store(text) == {'alice': 'a', 'bob': 'b'}
    assert logic.parse_store('') == {} and logic.parse_store('\n') == {}


@pytest.mark.parametrize('text, message', [
    ('{', 'is not JSON'),
    ('[]', 'must map user names to hash strings'),
    (json.dumps({'alice': 1}), 'must map user names to hash strings'),
])
def test_a_broken_store_is_refused(text, message):
    with pytest.raises(logic.InvalidStore) as caught:
        logic.parse_store(text)
    assert message in str(caught.value)
