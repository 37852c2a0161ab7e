# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each host of a replicated database tier is to do, from what the hosts run now.

The mysql role's preflight reads on each host of mlflow_db whether its server takes writes
(read_only), whom it replicates from, and its GTID positions; site.yml then asks, host by host,
what the role is to do there (``plan``) and whether the inventory and the running tier agree
(the problems). The rule they keep: a run of site.yml never moves writes from one host to another.
Only playbooks/db-promote.yml does, and a host that takes writes is never turned into a replica
by a mistake in the inventory.

A state is a dict (None where the server does not run yet):
  read_only      bool, whether the server refuses writes from ordinary accounts
  source         the address it replicates from ('' when it is no replica)
  io, sql        whether its replication threads run
  binlog_pos     its @@gtid_binlog_pos ('' when it has written no transaction of its own)
  has_database   whether it holds the MLflow database
"""

from __future__ import annotations

PRIMARY, REPLICATING, REPOINT, SEED = 'primary', 'replicating', 'repoint', 'seed'


def _promote_hint(primary):
    return 'playbooks/db-promote.yml -e mysql_primary=%s' % primary


def writers(states):
    """The hosts whose server runs, takes writes and holds the MLflow database (a server the package
    has just installed takes writes too, but has written nothing of MLflow's)."""
    return sorted(host for host, state in states.items()
                  if state and not state.get('read_only') and state.get('has_database'))


def source_host(state, addresses):
    """The host (of addresses: {host: address}) that state replicates from, or None."""
    source = str((state or {}).get('source') or '')
    if not source:
        return None
    for host, found in addresses.items():
        if found == source or host == source:
            return host
    return source


def problems(primary, states, addresses):
    """Where the running tier and the inventory's primary disagree: messages for site.yml, [] when none."""
    found = []
    writing = writers(states)
    others = [host for host in writing if host != primary]
    if len(writing) > 1:
        found.append('mlflow_db: %s all take writes (read_only is off on each); only one host may. Stop the '
                     'ones that are not the primary and make one the primary with %s.'
                     % (' and '.join(writing), _promote_hint(primary)))
    elif others:
        found.append('mysql_primary is %s, but %s is the host of mlflow_db that takes writes: set mysql_primary: %s '
                     'in the inventory, or move writes with %s.' % (primary, others[0], others[0], _promote_hint(primary)))
    mine = states.get(primary)
    source = source_host(mine, addresses)
    if source and not others:
        found.append('mysql_primary is %s, but %s replicates from %s: make it the primary with %s.'
                     % (primary, primary, source, _promote_hint(primary)))
    if not (mine or {}).get('has_database'):
        holders = sorted(host for host, state in states.items() if host != primary and (state or {}).get('has_database'))
        if holders and not others and not source:
            found.append('mysql_primary is %s, which holds no MLflow database, but %s does: set mysql_primary: %s '
                         'in the inventory.' % (primary, holders[0], holders[0]))
    return found


def plan(host, primary, states, addresses, reseed=False):
    """What the role does on host: primary, replicating (as it is), repoint (to the primary), or
    seed (load a copy of the primary's database, then replicate)."""
    if host == primary:
        return PRIMARY
    state = states.get(host)
    if not state:
        return SEED
    source = source_host(state, addresses)
    if reseed:
        return SEED
    if source == primary:
        return REPLICATING
    if source or state.get('binlog_pos'):
        # A replica of an earlier primary, or an earlier primary that comes back: its history
        # continues on the new primary's (GTID).
        return REPOINT
    return SEED


def gtid_seq(position, domain='0'):
    """The sequence number of domain in a GTID position ('0-11-42,1-3-7' -> 42 for domain 0); 0 if absent."""
    for part in str(position or '').split(','):
        fields = part.strip().split('-')
        if len(fields) == 3 and fields[0] == domain and fields[2].isdigit():
            return int(fields[2])
    return 0


def most_advanced(positions):
    """The hosts of positions ({host: GTID position}) that have received the most of domain 0."""
    if not positions:
        return []
    best = max(gtid_seq(position) for position in positions.values())
    return sorted(host for host, position in positions.items() if gtid_seq(position) == best)
