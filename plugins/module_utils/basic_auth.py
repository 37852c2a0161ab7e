# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.basic_auth_hashes, as plain functions.

Caddy's basic auth stores a bcrypt hash per user. A hash is slow to make on purpose, and a new
one differs every time, so the role keeps the hashes it made (a root-only JSON file on the host)
and makes a new one only for a user whose password no longer matches the stored hash.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor


class InvalidStore(ValueError):
    """A stored-hash file that is not a JSON object of user names to hashes."""


def parse_store(text):
    """The hashes of a stored-hash file ({} for an empty or missing file)."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidStore('is not JSON: %s' % exc)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InvalidStore('must map user names to hash strings')
    return data


def matches(bcrypt, password, stored):
    """Whether the bcrypt hash stored is the hash of password (False for a malformed hash)."""
    if not stored:
        return False
    try:
        return bcrypt.checkpw(password.encode('utf-8'), stored.encode('utf-8'))
    except ValueError:
        return False


def _one(bcrypt, password, stored, rounds):
    """(hash, made): the stored hash while it matches password, else a new one."""
    if matches(bcrypt, password, stored):
        return stored, False
    return bcrypt.hashpw(password.encode('utf-8'), bcrypt.gensalt(rounds=rounds)).decode('ascii'), True


def reconcile(bcrypt, users, stored, rounds):
    """(hashes, new): a hash for each user, kept where it still matches, made where it does not.

    users are dicts with username and password; users no longer listed lose their hash. The users
    are checked side by side (bcrypt lets go of Python's lock while it works), so a run with
    several users takes about as long as its slowest where the host has the cores for them.
    """
    def work(user):
        return _one(bcrypt, str(user['password']), stored.get(user['username']), rounds)

    with ThreadPoolExecutor(max_workers=min(len(users), 8) or 1) as pool:
        results = list(pool.map(work, users))
    hashes, new = {}, []
    for user, (value, made) in zip(users, results):
        hashes[user['username']] = value
        if made:
            new.append(user['username'])
    return hashes, new


def store_text(hashes):
    """The stored-hash file for the hashes: sorted, indented JSON with a final newline."""
    return json.dumps(hashes, indent=4, sort_keys=True) + '\n'
