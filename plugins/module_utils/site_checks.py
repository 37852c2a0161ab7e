# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks across the tiers of a site, as plain functions (used by the filament.mlflow filters).

Each role's preflight checks its own input and leaves a summary of what the other tiers rely on
in a host fact, ``__<role>_checked``: the ports its services listen on, the addresses, the
account names. The functions here read those summaries (and the inventory's secrets, which are
compared, never returned) and say, host by host, where the tiers disagree: two services on one
port, a server pointed at a database or store that is set up differently, a proxy pointed at a
port no server listens on. Every message names the variable and the host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.filament.mlflow.plugins.module_utils import minio_volumes, replication, topology

# Accounts a MySQL/MariaDB server keeps for itself or its administrator. The MLflow user must be
# none of them: the mysql role would turn it into a password account and lock the admin out.
RESERVED_MYSQL_ACCOUNTS = frozenset((
    'root', 'mysql', 'mariadb.sys', 'mysql.sys', 'mysql.session', 'mysql.infoschema',
    'debian-sys-maint', 'public',
))

LOOPBACK_NAMES = frozenset(('localhost', '127.0.0.1', '::1', 'ip6-localhost'))

# Connections a database host keeps beyond the MLflow servers' pools: the mysqld exporter, the
# backup's dump, the garbage collection, the roles' own sessions, SeaweedFS's filers, an administrator.
CONNECTION_RESERVE = 20

# The groups of site.yml, the roles deployed on each (filament_storage picks the store), and the
# fact each preflight leaves.
TIERS = (
    ('mlflow_db', ('mysql',)),
    ('mlflow_storage', topology.STORES),
    ('mlflow_server', ('server',)),
    ('mlflow_proxy', ('caddy',)),
)

# How each store names what the server's S3 settings must agree with.
STORE_NAMES = {
    'minio': {'title': 'MinIO', 'root_title': 'root key', 'port': 'minio_address', 'tls': 'minio_tls_cert_src', 'root': 'minio_root_user',
              'user': 'minio_mlflow_user', 'secret': 'minio_mlflow_password', 'bucket': 'minio_bucket',
              'address': 'minio_address'},
    'seaweedfs': {'title': 'SeaweedFS', 'root_title': 'admin key', 'port': 'seaweedfs_s3_port', 'tls': None, 'root': 'seaweedfs_admin_key',
                  'user': 'seaweedfs_mlflow_key', 'secret': 'seaweedfs_mlflow_secret', 'bucket': 'seaweedfs_bucket',
                  'address': 'seaweedfs_address'},
}


def is_reserved_mysql_account(name):
    """Whether name is an administrative or system account of MySQL/MariaDB (any letter case)."""
    return str(name).strip().lower() in RESERVED_MYSQL_ACCOUNTS


def is_loopback(host):
    host = str(host).strip('[]').lower()
    return host in LOOPBACK_NAMES or host.startswith('127.')


def split_host_port(value, default_port=None):
    """'host:port' (IPv6 in brackets) as (host, port); port is an int or default_port."""
    text = str(value)
    if text.startswith('['):
        host, sep, rest = text[1:].partition(']')
        port = rest[1:] if rest.startswith(':') else ''
    else:
        host, sep, port = text.rpartition(':')
        if not sep:
            host, port = text, ''
    return host, int(port) if port.isdigit() else default_port


def split_url(url):
    """An http(s) URL as (scheme, host, port), the port defaulted from the scheme."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, parts.hostname or '', port or (443 if scheme == 'https' else 80)


def port_clashes(host, listeners):
    """Messages for two services of one host on one port. listeners: [(variable, port)]."""
    by_port = {}
    for variable, port in listeners:
        by_port.setdefault(int(port), []).append(variable)
    return [
        '%s: %s use port %d; two services on one host cannot listen on the same port.'
        % (host, ' and '.join(variables), port)
        for port, variables in sorted(by_port.items()) if len(variables) > 1
    ]


class Site:
    """The inventory as site.yml sees it: groups, and each host's variables and facts."""

    def __init__(self, hostvars, groups):
        self.hostvars = hostvars
        self.groups = groups

    def hosts(self, group):
        return list(self.groups.get(group) or [])

    def var(self, host, name, default=None):
        try:
            variables = self.hostvars[host]
            if name not in variables:
                return default
            value = variables[name]
        except (KeyError, TypeError):
            return default
        return default if value is None else value

    def checked(self, host, role):
        return self.var(host, '__%s_checked' % role) or {}

    def addresses(self, host):
        """The names and addresses by which other hosts may reach host."""
        facts = self.var(host, 'ansible_facts', {}) or {}
        found = {host, self.var(host, 'ansible_host', host)}
        for key in ('fqdn', 'hostname', 'nodename'):
            if facts.get(key):
                found.add(facts[key])
        found.update(facts.get('all_ipv4_addresses') or [])
        found.update(facts.get('all_ipv6_addresses') or [])
        default = facts.get('default_ipv4') or {}
        if default.get('address'):
            found.add(default['address'])
        return {str(name).lower() for name in found if name}

    def find(self, group, address, from_host):
        """The host of group that address (as used on from_host) points at, or None."""
        members = self.hosts(group)
        if is_loopback(address):
            return from_host if from_host in members else None
        wanted = str(address).strip('[]').lower()
        for member in members:
            if wanted in self.addresses(member):
                return member
        # A name this inventory does not know (DNS, a load balancer): with one host in the tier it
        # can only mean that one.
        return members[0] if len(members) == 1 else None


def _listeners(site, host):
    found = []
    for group, roles in TIERS:
        if host in site.hosts(group):
            for role in roles:
                found.extend((name, port) for name, port in (site.checked(host, role).get('ports') or {}).items())
    # The exporters (filament.mlflow.metrics) run on every host of the site.
    found.extend((name, port) for name, port in (site.checked(host, 'metrics').get('ports') or {}).items())
    return found


def _database_problems(site, host, server):
    problems = []
    db_host = server.get('db_host', '')
    target = site.find('mlflow_db', db_host, host)
    if target is None:
        if is_loopback(db_host) and site.hosts('mlflow_db'):
            problems.append(
                "%s: server_db_host is %s (this host), but %s is not in mlflow_db; point server_db_host at "
                "one of %s." % (host, db_host, host, ', '.join(site.hosts('mlflow_db'))))
        return problems
    mysql = site.checked(target, 'mysql')
    if not mysql:
        return problems
    where = 'the database tier on %s' % target
    if int(server.get('db_port', 0)) != int(mysql.get('port', 0)):
        problems.append('%s: server_db_port is %s, but %s listens on mysql_port %s.'
                        % (host, server.get('db_port'), where, mysql.get('port')))
    for ours, mine, theirs, key in (('server_db_user', 'db_user', 'mysql_user', 'user'),
                                    ('server_db_name', 'db_name', 'mysql_database', 'database'),
                                    ('server_auth_db_name', 'auth_db_name', 'mysql_auth_database', 'auth_database')):
        if str(server.get(mine)) != str(mysql.get(key)):
            problems.append("%s: %s is '%s', but %s has %s '%s'."
                            % (host, ours, server.get(mine), where, theirs, mysql.get(key)))
    password, wanted = site.var(host, 'server_db_password'), site.var(target, 'mysql_password')
    if password is not None and wanted is not None and str(password) != str(wanted):
        problems.append('%s: server_db_password is not the mysql_password of %s.' % (host, where))
    if target != host and all(is_loopback(part) for part in str(mysql.get('bind_address', '')).split(',')):
        problems.append(
            '%s: the MLflow server reaches the database at server_db_host %s, but mysql_bind_address on %s '
            'is %s (loopback only).' % (host, db_host, target, mysql.get('bind_address')))
    return problems


def _connection_problems(site, host, mysql):
    """A host of mlflow_db (any: a replica may become the primary) must take every server's pools at once."""
    allowed = mysql.get('max_connections')
    if allowed in (None, ''):
        return []
    pools = {}
    for server in site.hosts('mlflow_server'):
        checked = site.checked(server, 'server')
        if checked.get('db_connections') not in (None, '') and site.find('mlflow_db', checked.get('db_host', ''), server):
            pools[server] = int(checked['db_connections'])
    needed = sum(pools.values()) + CONNECTION_RESERVE
    if not pools or needed <= int(allowed):
        return []
    return ['%s: mysql_max_connections is %s, but the MLflow servers may open %d connections together (%s: '
            'server_workers x (server_db_pool_size + server_db_pool_max_overflow), twice with server_auth: mlflow), '
            'and %d more are kept for the exporter, backups and administration; set mysql_max_connections to %d or '
            'more, or make the pools smaller.'
            % (host, allowed, sum(pools.values()), ', '.join('%s %d' % pool for pool in sorted(pools.items())),
               CONNECTION_RESERVE, needed)]


def _store_choice_problems(site, host, server):
    """filament_storage against the storage tier: an external S3 has no host in mlflow_storage and an
    endpoint the inventory gives; a store this collection runs has hosts to run on."""
    chosen = topology.store(host, site.hostvars)
    storage = site.hosts('mlflow_storage')
    if chosen == topology.EXTERNAL:
        if server.get('gcs'):
            return ['%s: filament_storage is external (an S3 you already have), but server_gcs_auth_string is set '
                    '(artifacts in GCS); leave one of them.' % host]
        if site.var(host, 'server_s3_endpoint_url') is None:
            return ['%s: filament_storage is external (an S3 you already have): set server_s3_endpoint_url to its URL '
                    '(with server_s3_region, server_s3_access_key, server_s3_secret_key, and server_s3_ca_bundle '
                    'when its certificate is signed by a CA of your own).' % host]
        return []
    if not storage and not server.get('gcs'):
        return ['%s: mlflow_storage has no hosts to run %s (filament_storage) on, and server_gcs_auth_string is empty. '
                'Add the storage hosts to mlflow_storage, set filament_storage: external and server_s3_endpoint_url '
                'for an S3 you already have, or set server_gcs_auth_string for GCS.'
                % (host, STORE_NAMES.get(chosen, {}).get('title', chosen))]
    return []


def _storage_problems(site, host, server):
    problems = _store_choice_problems(site, host, server)
    if problems or server.get('gcs') or not server.get('s3_endpoint_url'):
        return problems
    scheme, address, port = split_url(server['s3_endpoint_url'])
    target = site.find('mlflow_storage', address, host)
    if target is None:
        if is_loopback(address) and site.hosts('mlflow_storage'):
            problems.append(
                '%s: server_s3_endpoint_url points at this host (%s), but %s is not in mlflow_storage; point it '
                'at one of %s.' % (host, server['s3_endpoint_url'], host, ', '.join(site.hosts('mlflow_storage'))))
        return problems
    kind = next((role for role in topology.STORES if site.checked(target, role)), None)
    if kind is None:
        return problems
    store, names = site.checked(target, kind), STORE_NAMES[kind]
    where = '%s on %s' % (names['title'], target)
    if port != int(store.get('port', 0)):
        problems.append('%s: server_s3_endpoint_url %s uses port %d, but %s listens on port %s (%s).'
                        % (host, server['s3_endpoint_url'], port, where, store.get('port'), names['port']))
    wanted_scheme = 'https' if store.get('tls') else 'http'
    if scheme != wanted_scheme:
        problems.append('%s: server_s3_endpoint_url %s uses %s, but %s serves %s%s.'
                        % (host, server['s3_endpoint_url'], scheme, where, wanted_scheme,
                           ' (%s %s)' % (names['tls'], 'set' if store.get('tls') else 'empty') if names['tls'] else ''))
    # MLflow works with its own key (minio_mlflow_user, seaweedfs_mlflow_key), never the store's admin key.
    access_key = server.get('s3_access_key')
    if access_key is not None and str(access_key) == str(site.var(target, names['root'])):
        problems.append("%s: server_s3_access_key is %s, the %s of %s; MLflow gets its own key: "
                        "set server_s3_access_key to %s ('%s') and server_s3_secret_key to %s."
                        % (host, names['root'], names['root_title'], where, names['user'], store.get('mlflow_user'),
                           names['secret']))
    elif access_key is not None and store.get('mlflow_user') is not None and str(access_key) != str(store['mlflow_user']):
        problems.append("%s: server_s3_access_key is '%s', but %s has %s '%s'."
                        % (host, access_key, where, names['user'], store['mlflow_user']))
    else:
        mine, wanted = site.var(host, 'server_s3_secret_key'), site.var(target, names['secret'])
        if mine is not None and wanted is not None and str(mine) != str(wanted):
            problems.append('%s: server_s3_secret_key is not the %s of %s.' % (host, names['secret'], where))
    if store.get('bucket') is not None and server.get('bucket') is not None \
            and str(server['bucket']) != str(store['bucket']):
        problems.append("%s: server_bucket is '%s', but %s makes %s '%s' for MLflow's key."
                        % (host, server['bucket'], where, names['bucket'], store['bucket']))
    bound, dummy = split_host_port(store.get('address', '')) if kind == 'minio' else (store.get('address', ''), None)
    if target != host and is_loopback(bound):
        problems.append('%s: the MLflow server reaches %s at %s, but %s on %s is %s (loopback only).'
                        % (host, names['title'], server['s3_endpoint_url'], names['address'], target, store.get('address')))
    return problems


def _pool_problems(site, host, minio):
    """A distributed MinIO pool: every node gives the same volumes and root credentials, and names itself."""
    volumes = [str(volume) for volume in minio.get('volumes') or []]
    if not any(split_url(volume)[0] in ('http', 'https') for volume in volumes):
        return []
    problems = []
    for other in site.hosts('mlflow_storage'):
        theirs = site.checked(other, 'minio')
        if other == host or not theirs:
            continue
        if [str(volume) for volume in theirs.get('volumes') or []] != volumes:
            problems.append('%s: minio_volumes is %s, but %s has %s; every host of a MinIO pool must give '
                            'the same.' % (host, volumes, other, theirs.get('volumes')))
        for name in ('minio_root_user', 'minio_root_password', 'minio_mlflow_password', 'minio_metrics_password'):
            mine, wanted = site.var(host, name), site.var(other, name)
            if mine is not None and wanted is not None and str(mine) != str(wanted):
                problems.append('%s: %s is not the one of %s; the hosts of a MinIO pool share their users and '
                                'credentials.' % (host, name, other))
        for name in ('bucket', 'mlflow_user', 'metrics_user'):
            if theirs.get(name) is not None and minio.get(name) is not None and theirs[name] != minio[name]:
                problems.append("%s: minio_%s is '%s', but %s has '%s'; the hosts of a MinIO pool share their "
                                "users and buckets." % (host, name, minio[name], other, theirs[name]))
    try:
        named = {split_url(endpoint)[1].lower() for volume in volumes for endpoint in minio_volumes.expand(volume)}
    except minio_volumes.InvalidVolume:
        return problems  # the role's own check names it
    if not named & site.addresses(host):
        problems.append('%s: minio_volumes (%s) names no drive of this host; it must be one of the pool at '
                        'an address of its own.' % (host, ' '.join(volumes)))
    return problems


def _seaweedfs_cluster_problems(site, host, weed):
    """SeaweedFS on several hosts: every host of mlflow_storage runs it, with the same masters, filer
    store and S3 identities."""
    others = [other for other in site.hosts('mlflow_storage') if other != host]
    if not others:
        return []
    problems = []
    for other in others:
        theirs = site.checked(other, 'seaweedfs')
        if not theirs:
            if site.checked(other, 'minio'):
                problems.append('%s: filament_storage is seaweedfs, but %s of the same mlflow_storage runs MinIO; '
                                'one site has one store: give its storage hosts the same filament_storage.'
                                % (host, other))
            continue
        for name, what in (('masters', 'seaweedfs_masters'), ('filer_db', "the filers' store (seaweedfs_filer_db_host, "
                                                                          "_name, _user)"),
                           ('bucket', 'seaweedfs_bucket'), ('mlflow_user', 'seaweedfs_mlflow_key')):
            if theirs.get(name) is not None and weed.get(name) is not None and theirs[name] != weed[name]:
                problems.append("%s: %s is %s, but %s has %s; the hosts of one SeaweedFS must give the same."
                                % (host, what, weed[name], other, theirs[name]))
        for name in ('seaweedfs_admin_key', 'seaweedfs_admin_secret', 'seaweedfs_mlflow_secret',
                     'seaweedfs_filer_db_password'):
            mine, wanted = site.var(host, name), site.var(other, name)
            if mine is not None and wanted is not None and str(mine) != str(wanted):
                problems.append('%s: %s is not the one of %s; the hosts of one SeaweedFS share their identities '
                                'and the filers\' account.' % (host, name, other))
    return problems


def replication_states(site):
    """What each host of mlflow_db runs now (module_utils/replication.py), and its address."""
    states, addresses = {}, {}
    for member in site.hosts('mlflow_db'):
        states[member] = site.checked(member, 'mysql').get('replication') or None
        try:
            addresses[member] = topology.address(member, site.hostvars)
        except topology.UnknownAddress:
            addresses[member] = member
    return states, addresses


def _replication_problems(site, host):
    """A replicated database tier: one primary, named alike everywhere, that the running tier agrees with."""
    try:
        primary = topology.db_primary(site.groups, site.hostvars)
    except topology.InvalidTopology as exc:
        return ['%s: %s.' % (host, exc)]
    problems = []
    for other in site.hosts('mlflow_db'):
        mine, wanted = site.var(host, 'mysql_replication_password'), site.var(other, 'mysql_replication_password')
        if other != host and mine is not None and wanted is not None and str(mine) != str(wanted):
            problems.append('%s: mysql_replication_password is not the one of %s; the hosts of mlflow_db share it.'
                            % (host, other))
        theirs = site.checked(other, 'mysql').get('server_id')
        if other != host and theirs and str(theirs) == str(site.checked(host, 'mysql').get('server_id')):
            problems.append('%s: mysql_server_id %s is the one of %s as well; each host of mlflow_db needs its own.'
                            % (host, theirs, other))
    if host == primary:
        states, addresses = replication_states(site)
        problems.extend('%s: %s' % (host, problem) for problem in replication.problems(primary, states, addresses))
    return problems


def replica_action(host, hostvars, groups, reseed=False):
    """What the mysql role does on host of a replicated mlflow_db: primary, replicating, repoint or seed."""
    hostvars = topology.once(hostvars)
    site = Site(hostvars, topology.site_groups(host, hostvars, groups))
    states, addresses = replication_states(site)
    return replication.plan(host, topology.db_primary(site.groups, hostvars), states, addresses, reseed)


def _proxy_problems(site, host, caddy):
    problems = []
    for upstream in caddy.get('upstreams') or []:
        address, port = split_host_port(upstream)
        target = site.find('mlflow_server', address, host)
        if target is None:
            if is_loopback(address) and site.hosts('mlflow_server'):
                problems.append('%s: caddy_upstreams has %s (this host), but %s is not in mlflow_server.'
                                % (host, upstream, host))
            continue
        server = site.checked(target, 'server')
        if not server:
            continue
        if port != int(server.get('port', 0)):
            problems.append('%s: caddy_upstreams has %s, but the MLflow server on %s listens on server_port %s.'
                            % (host, upstream, target, server.get('port')))
        if target != host and is_loopback(server.get('listen_address', '')):
            problems.append('%s: caddy_upstreams has %s, but server_listen_address on %s is %s (loopback only).'
                            % (host, upstream, target, server.get('listen_address')))
        problems.extend(_auth_problems(host, caddy.get('auth'), target, server.get('auth')))
    return problems


def _auth_problems(host, caddy_auth, target, server_auth):
    """Exactly one of the proxy and the server checks users: never both, never neither."""
    if not caddy_auth or not server_auth:
        return []
    if caddy_auth == 'upstream' and server_auth != 'mlflow':
        return ['%s: caddy_auth is upstream, but the MLflow server on %s has server_auth %s and checks nobody: '
                'anyone could reach it. Set caddy_auth: basic, or server_auth: mlflow on the servers.'
                % (host, target, server_auth)]
    if caddy_auth != 'upstream' and server_auth == 'mlflow':
        return ['%s: caddy_auth is %s, but the MLflow server on %s checks its own users (server_auth mlflow): '
                'set caddy_auth: upstream (or leave it unset; it follows the servers), or server_auth: proxy.'
                % (host, caddy_auth, target)]
    return []


def tier_problems(host, hostvars, groups):
    """What disagrees between the tiers, as seen from host: a list of messages, [] when all agree."""
    hostvars = topology.once(hostvars)
    site = Site(hostvars, topology.site_groups(host, hostvars, groups))
    problems = port_clashes(host, _listeners(site, host))
    if host in site.hosts('mlflow_db') and len(site.hosts('mlflow_db')) > 1:
        problems.extend(_replication_problems(site, host))
    if host in site.hosts('mlflow_db') and site.checked(host, 'mysql'):
        problems.extend(_connection_problems(site, host, site.checked(host, 'mysql')))
    if host in site.hosts('mlflow_storage'):
        minio = site.checked(host, 'minio')
        if minio:
            problems.extend(_pool_problems(site, host, minio))
        weed = site.checked(host, 'seaweedfs')
        if weed:
            problems.extend(_seaweedfs_cluster_problems(site, host, weed))
    if host in site.hosts('mlflow_server'):
        server = site.checked(host, 'server')
        if server:
            problems.extend(_database_problems(site, host, server))
            problems.extend(_storage_problems(site, host, server))
    if host in site.hosts('mlflow_proxy'):
        caddy = site.checked(host, 'caddy')
        if caddy:
            problems.extend(_proxy_problems(site, host, caddy))
    return problems
