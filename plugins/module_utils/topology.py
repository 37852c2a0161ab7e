# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wiring of a site, worked out from its inventory (used by the filament.mlflow.derived filter).

The hosts in the four groups of site.yml are the whole topology (of each filament_site, where
one inventory holds several independent stacks). Each host is reached by the
others at one address, ``filament_address`` (by default the address of its default route, from
its facts). From that follow the values each role would otherwise need by hand: where the
server finds its database and bucket store, which upstreams the proxy balances, which hosts the
database account may connect from, and the address each service listens on (loopback where
only its own host uses it; that address and loopback where others do). A value set in the
inventory wins over the derived one: the roles' defaults read these, nothing else does.

On a single host everything is on loopback, exactly as the roles' fixed defaults were.
"""

from __future__ import annotations

import os.path
from urllib.parse import urlsplit

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.filament.mlflow.plugins.module_utils import metrics

DB, STORAGE, SERVER, PROXY = 'mlflow_db', 'mlflow_storage', 'mlflow_server', 'mlflow_proxy'
LOOPBACK = '127.0.0.1'


class UnknownAddress(ValueError):
    """A host whose address the others need is not known."""


class InvalidTopology(ValueError):
    """The groups and the variables that shape them contradict each other."""


_MISSING = object()


class ReadOnce:
    """A mapping whose keys are each read once; wrap (if any) is applied to what is read.

    ``ReadOnce(hostvars, ReadOnce)`` is hostvars with each host's variables looked up once and each
    of them read once, for one call: Ansible's hostvars builds all of a host's variables on every
    ``hostvars[host]`` and templates a variable on every read, and working out one derived value
    reads the same few many times."""

    def __init__(self, mapping, wrap=None):
        self._mapping = mapping
        self._wrap = wrap
        self._read = {}

    def get(self, key, default=None):
        if key not in self._read:
            found = self._mapping.get(key, _MISSING)
            self._read[key] = found if found is _MISSING or self._wrap is None else self._wrap(found)
        found = self._read[key]
        return default if found is _MISSING else found

    def __getitem__(self, key):
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found

    def __contains__(self, key):
        return self.get(key, _MISSING) is not _MISSING


def once(hostvars):
    """hostvars read once per host and variable (ReadOnce), unless it already is."""
    return hostvars if isinstance(hostvars, ReadOnce) else ReadOnce(hostvars, ReadOnce)


def _members(groups, group):
    return list(groups.get(group) or [])


def site_groups(host, hostvars, groups):
    """The four groups as host's site sees them: the members with host's filament_site.

    One inventory may hold several independent stacks (staging and production, or test hosts that
    each run a whole stack): each names its own filament_site, and the wiring stays within it."""
    return {group: same_site(_members(groups, group), host, hostvars) for group in (DB, STORAGE, SERVER, PROXY)}


def same_site(members, host, hostvars):
    """The hosts of members that have host's filament_site."""
    site = str(hostvars.get(host, {}).get('filament_site') or '')
    return [member for member in members if str(hostvars.get(member, {}).get('filament_site') or '') == site]


def address(host, hostvars):
    """The address other hosts reach host at: filament_address, else its default route's address."""
    found = hostvars.get(host, {})
    given = found.get('filament_address')
    if given:
        return str(given)
    facts = found.get('ansible_facts') or {}
    route = facts.get('default_ipv4') or found.get('ansible_default_ipv4') or {}
    if route.get('address'):
        return str(route['address'])
    raise UnknownAddress(
        'the address of %s is not known: set filament_address for it, or let site.yml gather its facts '
        '(it has no default route in them, or was left out with --limit)' % host)


def _first(groups, group):
    members = _members(groups, group)
    return members[0] if members else None


def db_primary(groups, hostvars):
    """The host of mlflow_db that takes writes: mysql_primary where the inventory names one (every
    host of the tier must name the same), else the first host of mlflow_db."""
    members = _members(groups, DB)
    named = sorted({str(hostvars.get(member, {}).get('mysql_primary'))
                    for member in members if hostvars.get(member, {}).get('mysql_primary')})
    if len(named) > 1:
        raise InvalidTopology('the hosts of mlflow_db name different primaries in mysql_primary (%s); '
                              'set it once, for the whole group' % ', '.join(named))
    if named and named[0] not in members:
        raise InvalidTopology('mysql_primary is %s, which is not a host of mlflow_db (%s)'
                              % (named[0], ', '.join(members)))
    return named[0] if named else _first(groups, DB)


def server_id(host, hostvars):
    """A replication server_id that differs between the hosts of a network: the IPv4 address as a
    number (1 to 2**32 - 1), from filament_address."""
    parts = address(host, hostvars).split('.')
    if len(parts) != 4 or not all(part.isdigit() and int(part) < 256 for part in parts):
        raise InvalidTopology('the address of %s is not an IPv4 address: set mysql_server_id for it' % host)
    number = 0
    for part in parts:
        number = number * 256 + int(part)
    return number or 1


def compress(values):
    """values written in MinIO's ellipsis notation as one string, or None where they cannot be.

    They must differ only in one decimal field that counts up by one from the first to the last
    (10.0.0.11 ... 10.0.0.14 -> 10.0.0.{11...14}; data01, data02 -> data{01...02})."""
    if len(values) < 2:
        return values[0] if values else None
    head = os.path.commonprefix(values)
    head = head.rstrip('0123456789')
    rests = [value[len(head):] for value in values]
    tail = os.path.commonprefix([rest[::-1] for rest in rests])[::-1]
    tail = tail.lstrip('0123456789')
    fields = [rest[:len(rest) - len(tail)] for rest in rests]
    if not all(field.isdigit() for field in fields):
        return None
    numbers = [int(field) for field in fields]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    widths = {len(field) for field in fields}
    if any(field.startswith('0') and len(field) > 1 for field in fields) and len(widths) > 1:
        return None
    return '%s{%s...%s}%s' % (head, fields[0], fields[-1], tail)


def _remote(host, clients):
    """Whether any of clients is another host than host."""
    return any(client != host for client in clients)


def _value(hostvars, host, name, default):
    """A variable of a host as its inventory sets it, else default (a role default, or the derived value)."""
    value = hostvars.get(host, {}).get(name)
    return default if value is None or value == '' else value


# The roles' defaults of the variables read across hosts (tests/unit keeps them equal to
# roles/*/defaults/main.yml): another host's role defaults are not in hostvars.
ROLE_DEFAULTS = {'mysql_port': 3306, 'server_port': 5000, 'minio_port': 9000,  # minio_port: of minio_address
                 'seaweedfs_s3_port': 8333, 'seaweedfs_master_port': 9333,
                 'seaweedfs_filer_db_name': 'seaweedfs_filer', 'seaweedfs_filer_db_user': 'seaweedfs_filer',
                 'minio_drives': ['/var/lib/minio/data'], 'minio_metrics_user': 'prometheus', 'metrics_user': 'prometheus',
                 'metrics_node_exporter_port': 9100, 'metrics_mysqld_exporter_port': 9104}


def mysql_bind_address(host, groups, hostvars):
    """Loopback; and the host's address too where servers, replicas or SeaweedFS's filers on other
    hosts connect."""
    clients = _members(groups, SERVER) + _members(groups, DB) + _seaweedfs_nodes(groups, hostvars)
    return '%s,%s' % (LOOPBACK, address(host, hostvars)) if _remote(host, clients) else LOOPBACK


def mysql_user_hosts(host, groups, hostvars):
    """The hosts the MLflow database account may connect from: the server hosts, by address."""
    servers = _members(groups, SERVER)
    hosts = ['localhost', LOOPBACK] if not servers or host in servers else []
    return hosts + [address(server, hostvars) for server in servers if server != host]


def minio_host(host, groups, hostvars):
    """The one address MinIO binds: loopback when only its own host uses it, else the host's address."""
    clients = _members(groups, SERVER) + _members(groups, STORAGE)
    return address(host, hostvars) if _remote(host, clients) else LOOPBACK


def minio_address(host, groups, hostvars):
    """MinIO's host:port on host (minio_address), on the role's default port."""
    return '%s:%s' % (minio_host(host, groups, hostvars), ROLE_DEFAULTS['minio_port'])


def _minio_node_url(node, groups, hostvars):
    """How the other nodes of the pool reach node's MinIO: scheme, address and port."""
    listen = _value(hostvars, node, 'minio_address', minio_address(node, groups, hostvars))
    bound, dummy, port = str(listen).rpartition(':')
    scheme = 'https' if hostvars.get(node, {}).get('minio_tls_cert_src') else 'http'
    # Other hosts cannot use a node's loopback: the pool names it by its address then (and site.yml's
    # checks say that such a node cannot join).
    reach = address(node, hostvars) if bound in ALL_ADDRESSES or bound.startswith('127.') else bound
    return scheme, reach, port


def minio_volumes(host, groups, hostvars):
    """minio_volumes: this host's drives (minio_drives) where it is the only node; else every node of
    mlflow_storage with the drives, as one erasure-coded pool in MinIO's {a...b} notation where the
    addresses and drives count up, as an explicit list of endpoints (one pool as well) where not."""
    nodes = _members(groups, STORAGE)
    if len(nodes) < 2:
        return None  # the role's own minio_drives
    drives = [str(drive) for drive in _value(hostvars, host, 'minio_drives', ROLE_DEFAULTS['minio_drives'])]
    urls = [_minio_node_url(node, groups, hostvars) for node in nodes]
    schemes, ports = {url[0] for url in urls}, {url[2] for url in urls}
    hosts, paths = compress([url[1] for url in urls]), compress(drives)
    if len(schemes) == 1 and len(ports) == 1 and hosts and paths:
        return ['%s://%s:%s%s' % (urls[0][0], hosts, urls[0][2], paths)]
    return ['%s://%s:%s%s' % (scheme, node_host, port, drive) for scheme, node_host, port in urls for drive in drives]


def server_host(host, groups, hostvars):
    """The one address the MLflow server binds: loopback when only a proxy on its host uses it."""
    return address(host, hostvars) if _remote(host, _members(groups, PROXY)) else LOOPBACK


ALL_ADDRESSES = ('', '0.0.0.0', '::', '[::]', '*')


def _client_host(bound, source, target, hostvars):
    """Where source reaches a service that target binds at bound (all addresses: its own one)."""
    if bound in ALL_ADDRESSES:
        return LOOPBACK if source == target else address(target, hostvars)
    return bound


def replication_peers(host, groups, hostvars):
    """The addresses of the other hosts of mlflow_db: they replicate from host, or host from them."""
    return [address(member, hostvars) for member in _members(groups, DB) if member != host]


def _db(host, groups, hostvars):
    return {'mysql_bind_address': lambda: mysql_bind_address(host, groups, hostvars),
            'mysql_user_hosts': lambda: mysql_user_hosts(host, groups, hostvars),
            'mysql_primary': lambda: db_primary(groups, hostvars),
            'mysql_server_id': lambda: server_id(host, hostvars) if len(_members(groups, DB)) > 1 else None,
            'mysql_replication_peers': lambda: replication_peers(host, groups, hostvars),
            'mysql_filer_account': lambda: filer_account(host, groups, hostvars)}


# The stores a role of this collection runs on the hosts of mlflow_storage; EXTERNAL is an S3 the
# team already has, reached at server_s3_endpoint_url, with no host in mlflow_storage.
STORES = ('minio', 'seaweedfs')
EXTERNAL = 'external'


def store(host, hostvars):
    """Where the artifacts are (filament_storage): minio, the default, seaweedfs, or external."""
    return hostvars.get(host, {}).get('filament_storage') or 'minio'


def _storage(host, groups, hostvars):
    if store(host, hostvars) == 'seaweedfs':
        # SeaweedFS binds one address, with no port: its ports are variables of their own.
        return {'seaweedfs_address': lambda: minio_host(host, groups, hostvars),
                'seaweedfs_masters': lambda: seaweedfs_masters(groups, hostvars),
                'seaweedfs_filer_db_host': lambda: _filer_db(host, groups, hostvars, 'host'),
                'seaweedfs_filer_db_port': lambda: _filer_db(host, groups, hostvars, 'port')}
    return {'minio_address': lambda: minio_address(host, groups, hostvars),
            'minio_volumes': lambda: minio_volumes(host, groups, hostvars)}


def _seaweedfs_nodes(groups, hostvars):
    """The hosts of mlflow_storage that make one SeaweedFS cluster: two or more with filament_storage
    seaweedfs (one alone runs everything itself, and keeps its metadata on its own disk)."""
    nodes = _members(groups, STORAGE)
    return nodes if len(nodes) > 1 and all(store(node, hostvars) == 'seaweedfs' for node in nodes) else []


def _seaweedfs_host(node, hostvars, groups):
    """The address node's SeaweedFS is known by (its -ip): seaweedfs_address, else its own address."""
    bound = str(_value(hostvars, node, 'seaweedfs_address', minio_host(node, groups, hostvars)))
    return address(node, hostvars) if bound in ALL_ADDRESSES or bound.startswith('127.') else bound


def seaweedfs_masters(groups, hostvars):
    """Where the masters of a SeaweedFS cluster run, as ip:port (seaweedfs_masters): the first three
    hosts of mlflow_storage, whose raft outlives any one of them, or the first alone where there are
    two (a raft of two stops with either). None on one host: it runs its own master."""
    nodes = _seaweedfs_nodes(groups, hostvars)
    if not nodes:
        return None
    return ['%s:%s' % (_seaweedfs_host(node, hostvars, groups),
                       _value(hostvars, node, 'seaweedfs_master_port', ROLE_DEFAULTS['seaweedfs_master_port']))
            for node in nodes[:3 if len(nodes) > 2 else 1]]


def _filer_db(host, groups, hostvars, part):
    """Where a SeaweedFS cluster's filers keep their metadata: in the site's database (its primary),
    which every filer reads and writes, so each S3 gateway sees an object the moment another has
    written it. None on one host (the filer's store on its own disk)."""
    primary = db_primary(groups, hostvars)
    if not _seaweedfs_nodes(groups, hostvars) or primary is None:
        return None
    if part == 'host':
        return LOOPBACK if primary == host else address(primary, hostvars)
    return _value(hostvars, primary, 'mysql_port', ROLE_DEFAULTS['mysql_port'])


def filer_account(host, groups, hostvars):
    """The database and account of a SeaweedFS cluster's filers on the site's database hosts
    (mysql_filer_account): as the storage hosts name them (seaweedfs_filer_db_*), for the storage
    hosts' addresses. {} where the site's store is not SeaweedFS on several hosts."""
    nodes = _seaweedfs_nodes(groups, hostvars)
    if not nodes:
        return {}
    first = nodes[0]
    hosts = ['localhost', LOOPBACK] if host in nodes else []
    return {'database': _value(hostvars, first, 'seaweedfs_filer_db_name', ROLE_DEFAULTS['seaweedfs_filer_db_name']),
            'user': _value(hostvars, first, 'seaweedfs_filer_db_user', ROLE_DEFAULTS['seaweedfs_filer_db_user']),
            'password': _value(hostvars, first, 'seaweedfs_filer_db_password', ''),
            'hosts': hosts + [address(node, hostvars) for node in nodes if node != host]}


def _s3_endpoint_url(host, groups, hostvars):
    """The storage node on host where there is one, else the first of mlflow_storage, as the server reaches it."""
    storage = _members(groups, STORAGE)
    node = host if host in storage else storage[0]
    if store(node, hostvars) == 'seaweedfs':
        return _seaweedfs_url(node, host, groups, hostvars)
    return _minio_url(node, host, groups, hostvars)


def _seaweedfs_url(node, client, groups, hostvars):
    """How client reaches node's SeaweedFS S3 gateway: http://address:port."""
    bound = _value(hostvars, node, 'seaweedfs_address', minio_host(node, groups, hostvars))
    port = _value(hostvars, node, 'seaweedfs_s3_port', ROLE_DEFAULTS['seaweedfs_s3_port'])
    return 'http://%s:%s' % (_client_host(str(bound), client, node, hostvars), port)


def _minio_url(node, client, groups, hostvars):
    """How client reaches node's MinIO: scheme://address:port."""
    listen = _value(hostvars, node, 'minio_address', minio_address(node, groups, hostvars))
    bound, dummy, port = str(listen).rpartition(':')
    scheme = 'https' if hostvars.get(node, {}).get('minio_tls_cert_src') else 'http'
    return '%s://%s:%s' % (scheme, _client_host(bound, client, node, hostvars), port)


# Presigned transfers through the proxy (server_presigned_through_proxy): the path on the site's address under which the
# proxy passes presigned requests on to the store.
PRESIGNED_PREFIX = '/_store'


def presigned_store(groups, hostvars):
    """The store's host:port the proxy passes presigned requests to, when the site's one server has
    server_presigned_through_proxy and the proxy, the server and a store of the site's own (on plain
    HTTP on loopback, as the server reaches it) are that one host; None otherwise."""
    servers = _members(groups, SERVER)
    if len(servers) != 1 or not boolean(hostvars.get(servers[0], {}).get('server_presigned_through_proxy'), strict=False):
        return None
    host = servers[0]
    if _members(groups, PROXY) != [host] or _members(groups, STORAGE) != [host]:
        return None
    endpoint = urlsplit(str(_value(hostvars, host, 'server_s3_endpoint_url', _s3_endpoint_url(host, groups, hostvars))))
    if endpoint.scheme != 'http' or endpoint.hostname not in (LOOPBACK, 'localhost') or endpoint.path.strip('/'):
        return None
    return endpoint.netloc


def server_job_host(groups):
    """The one server host that runs the site's jobs (MLflow's job runner when it is enabled, the
    backups): the first of mlflow_server."""
    return _first(groups, SERVER)


def _server(host, groups, hostvars):
    found = {'server_listen_address': lambda: server_host(host, groups, hostvars)}
    found['server_job_host'] = lambda: server_job_host(groups)
    primary = db_primary(groups, hostvars)
    if primary is not None:
        found['server_db_host'] = lambda: LOOPBACK if primary == host else address(primary, hostvars)
        # As given: the roles' argument specs say what a wrong one is, naming the variable.
        found['server_db_port'] = lambda: _value(hostvars, primary, 'mysql_port', ROLE_DEFAULTS['mysql_port'])
    if _members(groups, STORAGE):
        found['server_s3_endpoint_url'] = lambda: _s3_endpoint_url(host, groups, hostvars)
    found['server_presigned_prefix'] = lambda: PRESIGNED_PREFIX if presigned_store(groups, hostvars) else ''
    return found


def proxy_auth(groups, hostvars):
    """Who checks users at the proxy: 'upstream' where the MLflow servers do (server_auth: mlflow)."""
    servers = _members(groups, SERVER)
    return 'upstream' if servers and hostvars.get(servers[0], {}).get('server_auth') == 'mlflow' else 'basic'


def _presigned_route(groups, hostvars):
    upstream = presigned_store(groups, hostvars)
    return {'prefix': PRESIGNED_PREFIX, 'upstream': upstream} if upstream else {}


def _proxy(host, groups, hostvars):
    return {'caddy_auth': lambda: proxy_auth(groups, hostvars),
            'caddy_presigned_store': lambda: _presigned_route(groups, hostvars),
            'caddy_upstreams': lambda: [
        '%s:%s' % (_client_host(_value(hostvars, server, 'server_listen_address', server_host(server, groups, hostvars)),
                                host, server, hostvars),
                   _value(hostvars, server, 'server_port', ROLE_DEFAULTS['server_port']))
        for server in _members(groups, SERVER)]}


def metrics_host(host, groups, hostvars):
    """The one address a host's exporters bind: loopback when only a proxy on its host scrapes them."""
    return address(host, hostvars) if _remote(host, _members(groups, PROXY)) else LOOPBACK


def _site_hosts(groups):
    """Every host of the site once, in the order of the tiers."""
    found = []
    for group in (DB, STORAGE, SERVER, PROXY):
        found.extend(member for member in _members(groups, group) if member not in found)
    return found


def _exporter(job, port_name, member, proxy, groups, hostvars):
    listen = _value(hostvars, member, 'metrics_listen_address', metrics_host(member, groups, hostvars))
    port = _value(hostvars, member, port_name, ROLE_DEFAULTS[port_name])
    auth = metrics.basic_header(_value(hostvars, member, 'metrics_user', ROLE_DEFAULTS['metrics_user']),
                                hostvars[member]['metrics_password'])
    return metrics.target(job, member, '%s:%s' % (_client_host(listen, proxy, member, hostvars), port), '/metrics', auth)


def metrics_targets(host, groups, hostvars):
    """What the proxy on host serves under /metrics/ (module_utils/metrics.py): Caddy's own; each
    host's node exporter and each database host's mysqld exporter where the host has
    metrics_password; each MinIO node (and the pool's cluster view once) where the pool has a
    metrics key (minio_metrics_password); each MLflow server that has server_metrics. SeaweedFS
    nodes have no target here."""
    found = [metrics.target('caddy', host, '', '')]
    monitored = [member for member in _site_hosts(groups) if hostvars.get(member, {}).get('metrics_password')]
    found += [_exporter('node', 'metrics_node_exporter_port', member, host, groups, hostvars) for member in monitored]
    found += [_exporter('mysqld', 'metrics_mysqld_exporter_port', member, host, groups, hostvars)
              for member in monitored if member in _members(groups, DB)]
    for index, node in enumerate(_members(groups, STORAGE)):
        secret = hostvars.get(node, {}).get('minio_metrics_password')
        if not secret or store(node, hostvars) != 'minio':
            continue
        # Caddy's upstream: host:port over HTTP, the whole URL over HTTPS.
        upstream = _minio_url(node, host, groups, hostvars)
        upstream = upstream[len('http://'):] if upstream.startswith('http://') else upstream
        # Signed with the metrics key, whose policy allows admin:Prometheus and nothing else.
        user = _value(hostvars, node, 'minio_metrics_user', ROLE_DEFAULTS['minio_metrics_user'])
        token = 'Bearer %s' % metrics.minio_token(user, secret)
        found.append(metrics.target('minio', node, upstream, '/minio/v2/metrics/node', token))
        if index == 0:
            found.append(metrics.target('minio-cluster', node, upstream, '/minio/v2/metrics/cluster', token))
    upstreams = _value(hostvars, host, 'caddy_upstreams', None) or _proxy(host, groups, hostvars)['caddy_upstreams']()
    for upstream, server in zip(upstreams, _members(groups, SERVER)):
        if hostvars.get(server, {}).get('server_metrics'):
            found.append(metrics.target('mlflow', server, upstream, '/metrics'))
    return found


TIERS = ((DB, _db), (STORAGE, _storage), (SERVER, _server), (PROXY, _proxy))


def _derivations(host, hostvars, groups):
    """For each variable derived for host (those of the tiers it is in), how to work it out."""
    groups = site_groups(host, hostvars, groups)
    found = {}
    for group, tier in TIERS:
        if host in _members(groups, group):
            found.update(tier(host, groups, hostvars))
    if host in _site_hosts(groups):
        found['metrics_listen_address'] = lambda: metrics_host(host, groups, hostvars)
    if host in _members(groups, PROXY):
        found['caddy_metrics_targets'] = lambda: metrics_targets(host, groups, hostvars)
    return found


def value(host, name, hostvars, groups, default):
    """The derived value of one variable for host; default where host is not in its tier. Only what
    that variable needs is worked out, so an address it does not need cannot stop it."""
    hostvars = once(hostvars)
    how = _derivations(host, hostvars, groups).get(name)
    found = how() if how else None
    return default if found is None else found


def derive(host, hostvars, groups):
    """Every derived value for host, by variable name (only those of the tiers host is in; None where
    the role's own default stands)."""
    hostvars = once(hostvars)
    return {name: how() for name, how in _derivations(host, hostvars, groups).items()}
