# -*- coding: utf-8 -*-
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.filament.mlflow.plugins.module_utils import metrics
from ansible_collections.filament.mlflow.plugins.module_utils import topology as logic

ROLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles')
ALL = ['mlflow_db', 'mlflow_storage', 'mlflow_server', 'mlflow_proxy']


def facts(ip):
    return {'ansible_facts': {'default_ipv4': {'address': ip}}}


def test_one_host_is_wired_on_loopback_as_the_roles_defaults_always_were():
    groups = {group: ['lab'] for group in ALL}
    found = logic.derive('lab', {'lab': {'minio_metrics_password': 'metrics-key'}}, groups)
    # With no metrics_password the proxy serves Caddy's own metrics and MinIO's (which has its own key).
    assert [(t['job'], t['upstream']) for t in found.pop('caddy_metrics_targets')] == [
        ('caddy', ''), ('minio', '127.0.0.1:9000'), ('minio-cluster', '127.0.0.1:9000')]
    assert found == {
        'mysql_bind_address': '127.0.0.1',
        'mysql_user_hosts': ['localhost', '127.0.0.1'],
        'minio_address': '127.0.0.1:9000',
        'server_db_host': '127.0.0.1',
        'server_db_port': 3306,
        'server_s3_endpoint_url': 'http://127.0.0.1:9000',
        'server_listen_address': '127.0.0.1',
        'caddy_upstreams': ['127.0.0.1:5000'],
        # The proxy's gate: the server does not check users itself (server_auth proxy).
        'caddy_auth': 'basic',
        # The role's own minio_drives; the job runner, if enabled, on the one server.
        'minio_volumes': None,
        'server_job_host': 'lab',
        # No replication: the one database host is its own primary, with no peers.
        'mysql_primary': 'lab',
        'mysql_server_id': None,
        'mysql_replication_peers': [],
        # No SeaweedFS cluster whose filers keep their metadata in the database.
        'mysql_filer_account': {},
        # The exporters on loopback.
        'metrics_listen_address': '127.0.0.1',
        # No presigned transfers through the proxy unless the server asks for them.
        'server_presigned_prefix': '',
        'caddy_presigned_store': {},
    }


def cluster():
    """Four hosts: MinIO on all; servers on 1 and 2; the database primary on 1, a replica on 2; Caddy on 3."""
    hostvars = {'h%d' % n: facts('10.0.0.%d' % n) for n in range(1, 5)}
    groups = {'mlflow_db': ['h1', 'h2'], 'mlflow_storage': ['h1', 'h2', 'h3', 'h4'],
              'mlflow_server': ['h1', 'h2'], 'mlflow_proxy': ['h3']}
    return hostvars, groups


def test_several_hosts_reach_each_other_at_their_addresses_and_their_own_services_on_loopback():
    hostvars, groups = cluster()
    h1, h2, h3, h4 = (logic.derive(h, hostvars, groups) for h in ('h1', 'h2', 'h3', 'h4'))
    # The database listens on loopback and its address; the account is for the server hosts.
    assert h1['mysql_bind_address'] == '127.0.0.1,10.0.0.1'
    assert h1['mysql_user_hosts'] == ['localhost', '127.0.0.1', '10.0.0.2']
    # Servers write to the primary; each uses the MinIO node on its own host, at the address it binds.
    assert (h1['server_db_host'], h2['server_db_host']) == ('127.0.0.1', '10.0.0.1')
    assert h1['minio_address'] == '10.0.0.1:9000' and h4['minio_address'] == '10.0.0.4:9000'
    assert (h1['server_s3_endpoint_url'], h2['server_s3_endpoint_url']) == ('http://10.0.0.1:9000', 'http://10.0.0.2:9000')
    # The proxy is elsewhere: the servers listen on their addresses, and it balances both.
    assert h1['server_listen_address'] == '10.0.0.1'
    assert h3['caddy_upstreams'] == ['10.0.0.1:5000', '10.0.0.2:5000']
    assert 'server_db_host' not in h3 and 'caddy_upstreams' not in h1
    # The storage hosts are one pool, in MinIO's notation, the same on each; MLflow's job runner on one server.
    assert {h['minio_volumes'][0] for h in (h1, h2, h3, h4)} == {'http://10.0.0.{1...4}:9000/var/lib/minio/data'}
    assert h1['server_job_host'] == h2['server_job_host'] == 'h1'


def test_what_the_inventory_sets_wins_and_is_followed_by_the_other_hosts():
    hostvars, groups = cluster()
    hostvars['h1'].update(filament_address='192.168.5.1', mysql_port=3307, server_port=5001)
    hostvars['h2'].update(server_listen_address='0.0.0.0')
    hostvars['h2']['minio_tls_cert_src'] = '/etc/pki/minio.crt'
    assert logic.derive('h2', hostvars, groups)['server_db_host'] == '192.168.5.1'
    assert logic.derive('h2', hostvars, groups)['server_db_port'] == 3307
    # A value that is wrong is passed on as it is, for the argument specs to name.
    hostvars['h1']['mysql_port'] = 'three'
    assert logic.derive('h1', hostvars, groups)['server_db_port'] == 'three'
    assert logic.derive('h2', hostvars, groups)['server_s3_endpoint_url'] == 'https://10.0.0.2:9000'
    # A server on all addresses is reached at its host's address.
    assert logic.derive('h3', hostvars, groups)['caddy_upstreams'] == ['192.168.5.1:5001', '10.0.0.2:5000']


def test_a_host_whose_address_is_needed_but_unknown_is_named():
    hostvars, groups = cluster()
    del hostvars['h2']['ansible_facts']
    with pytest.raises(logic.UnknownAddress, match='the address of h2 is not known: set filament_address'):
        logic.derive('h3', hostvars, groups)
    # Only what a variable needs is worked out: h2's account hosts are the servers' addresses, its
    # own is needed only for what it listens on.
    assert logic.value('h2', 'mysql_user_hosts', hostvars, groups, None) == ['localhost', '127.0.0.1', '10.0.0.1']
    with pytest.raises(logic.UnknownAddress, match='the address of h2'):
        logic.value('h2', 'mysql_bind_address', hostvars, groups, None)
    assert logic.value('h4', 'caddy_upstreams', hostvars, groups, ['default']) == ['default']
    # A host that nobody else needs to reach needs no address.
    assert logic.derive('lab', {}, {group: ['lab'] for group in ALL})['server_db_host'] == '127.0.0.1'


def test_the_defaults_read_across_hosts_are_the_roles_own():
    def default(role, name):
        with open(os.path.join(ROLES, role, 'defaults', 'main.yml'), encoding='utf-8') as handle:
            return yaml.safe_load(handle)[name]

    assert logic.ROLE_DEFAULTS['mysql_port'] == default('mysql', 'mysql_port')
    assert logic.ROLE_DEFAULTS['server_port'] == default('server', 'server_port')
    assert logic.ROLE_DEFAULTS['minio_drives'] == default('minio', 'minio_drives')
    assert logic.ROLE_DEFAULTS['minio_metrics_user'] == default('minio', 'minio_metrics_user')
    with open(os.path.join(ROLES, 'minio', 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        minio_address = yaml.safe_load(handle)['argument_specs']['main']['options']['minio_address']['default']
    assert str(logic.ROLE_DEFAULTS['minio_port']) == minio_address.rpartition(':')[2]


def test_stacks_of_different_sites_in_one_inventory_are_wired_apart():
    groups = {group: ['a', 'b'] for group in ALL}
    hostvars = {'a': dict(facts('10.0.0.1'), filament_site='staging'), 'b': dict(facts('10.0.0.2'), filament_site='production')}
    for host in ('a', 'b'):
        found = logic.derive(host, hostvars, groups)
        assert found['server_db_host'] == '127.0.0.1' and found['caddy_upstreams'] == ['127.0.0.1:5000']
        assert found['mysql_user_hosts'] == ['localhost', '127.0.0.1'] and found['mysql_bind_address'] == '127.0.0.1'
    # Without sites they are one stack of two hosts.
    del hostvars['a']['filament_site'], hostvars['b']['filament_site']
    assert logic.derive('b', hostvars, groups)['server_db_host'] == '10.0.0.1'


def test_the_pool_is_written_in_minio_notation_where_it_counts_up_and_listed_where_not():
    hostvars, groups = cluster()
    hostvars['h1']['minio_drives'] = ['/srv/disk1', '/srv/disk2']
    assert logic.value('h1', 'minio_volumes', hostvars, groups, None) == ['http://10.0.0.{1...4}:9000/srv/disk{1...2}']
    # Addresses that do not count up: every endpoint listed, which MinIO also takes as one pool.
    hostvars['h3']['filament_address'] = '10.0.9.9'
    assert logic.value('h1', 'minio_volumes', hostvars, groups, None) == [
        'http://10.0.0.%s:9000/srv/disk%d' % (host, disk) if host != '3' else 'http://10.0.9.9:9000/srv/disk%d' % disk
        for host in '1234' for disk in (1, 2)]
    # A node on all addresses is named by its address; one storage host keeps the role's drives.
    hostvars['h3'].update(filament_address='10.0.0.3', minio_address=':9000')
    assert logic.value('h2', 'minio_volumes', hostvars, groups, None) == ['http://10.0.0.{1...4}:9000/var/lib/minio/data']
    groups['mlflow_storage'] = ['h1']
    assert logic.value('h1', 'minio_volumes', hostvars, groups, ['/d']) == ['/d']


@pytest.mark.parametrize('values, expected', [
    (['10.0.0.11', '10.0.0.12', '10.0.0.13'], '10.0.0.{11...13}'),
    (['node9.lab', 'node10.lab'], 'node{9...10}.lab'),
    (['data01', 'data02'], 'data{01...02}'),
    (['/srv/minio'], '/srv/minio'),
    (['10.0.0.1', '10.0.0.3'], None),
    (['a1', 'a10'], None),
    (['db2', 'db1'], None),
    (['x', 'y'], None),
])
def test_compress_writes_a_counting_field_as_a_range(values, expected):
    assert logic.compress(values) == expected


def test_the_database_primary_is_the_first_host_unless_the_inventory_names_another():
    hostvars, groups = cluster()
    h1, h2 = logic.derive('h1', hostvars, groups), logic.derive('h2', hostvars, groups)
    assert h1['mysql_primary'] == h2['mysql_primary'] == 'h1'
    # Replicas connect from the other database hosts; each server id is its IPv4 address as a number.
    assert (h1['mysql_replication_peers'], h2['mysql_replication_peers']) == (['10.0.0.2'], ['10.0.0.1'])
    assert (h1['mysql_server_id'], h2['mysql_server_id']) == (167772161, 167772162)
    for host in hostvars:
        hostvars[host]['mysql_primary'] = 'h2'
    # The servers follow the named primary.
    assert logic.value('h1', 'server_db_host', hostvars, groups, None) == '10.0.0.2'
    assert logic.value('h2', 'server_db_host', hostvars, groups, None) == '127.0.0.1'


def test_a_primary_outside_mlflow_db_or_named_twice_is_refused():
    hostvars, groups = cluster()
    hostvars['h1']['mysql_primary'] = 'h3'
    with pytest.raises(logic.InvalidTopology, match=r'mysql_primary is h3, which is not a host of mlflow_db \(h1, h2\)'):
        logic.db_primary(groups, hostvars)
    hostvars['h2']['mysql_primary'] = 'h2'
    with pytest.raises(logic.InvalidTopology, match='name different primaries in mysql_primary'):
        logic.db_primary(groups, hostvars)
    hostvars['h1'] = {'filament_address': 'db1.example.org', 'mysql_primary': 'h2'}
    with pytest.raises(logic.InvalidTopology, match='not an IPv4 address: set mysql_server_id'):
        logic.server_id('h1', hostvars)


def test_the_proxy_serves_every_target_of_the_site_with_each_service_s_own_credentials():
    hostvars, groups = cluster()
    for host in hostvars:
        hostvars[host].update(metrics_password='exporters-secret', minio_root_user='admin', minio_root_password='s3cret-key',
                              minio_metrics_password='metrics-key')
    hostvars['h1']['server_metrics'] = True
    hostvars['h4']['metrics_node_exporter_port'] = 19100
    targets = logic.value('h3', 'caddy_metrics_targets', hostvars, groups, [])
    by_route = {target['route']: target for target in targets}
    assert [t['job'] for t in targets] == ['caddy'] + ['node'] * 4 + ['mysqld'] * 2 + ['minio', 'minio-cluster'] + ['minio'] * 3 + ['mlflow']
    # Exporters elsewhere listen on their addresses, each port as its host sets it, behind basic auth.
    assert by_route['/metrics/node/h1']['upstream'] == '10.0.0.1:9100'
    assert by_route['/metrics/node/h4']['upstream'] == '10.0.0.4:19100'
    assert by_route['/metrics/mysqld/h2']['upstream'] == '10.0.0.2:9104'
    assert by_route['/metrics/node/h1']['authorization'] == 'Basic cHJvbWV0aGV1czpleHBvcnRlcnMtc2VjcmV0'
    # MinIO with its bearer token; the cluster view once, from the first node; the proxy's own
    # node exporter on loopback; MLflow only where server_metrics is on.
    assert by_route['/metrics/minio/h4']['path'] == '/minio/v2/metrics/node'
    assert by_route['/metrics/minio-cluster/h1']['path'] == '/minio/v2/metrics/cluster'
    # The token is the metrics key's (admin:Prometheus only), never one the root key signs.
    assert by_route['/metrics/minio/h1']['authorization'] == 'Bearer ' + metrics.minio_token('prometheus', 'metrics-key')
    assert by_route['/metrics/node/h3']['upstream'] == '127.0.0.1:9100'
    assert by_route['/metrics/mlflow/h1']['upstream'] == '10.0.0.1:5000'
    assert '/metrics/mlflow/h2' not in by_route
    # Exporters listen on loopback only where the proxy is on their host.
    assert logic.value('h3', 'metrics_listen_address', hostvars, groups, None) == '127.0.0.1'
    assert logic.value('h1', 'metrics_listen_address', hostvars, groups, None) == '10.0.0.1'


def test_a_pool_without_a_metrics_key_has_no_minio_targets():
    hostvars, groups = cluster()
    jobs = {t['job'] for t in logic.value('h3', 'caddy_metrics_targets', hostvars, groups, [])}
    assert not jobs & {'minio', 'minio-cluster'}


def test_a_host_without_metrics_password_has_no_exporter_targets():
    hostvars, groups = cluster()
    hostvars['h1']['metrics_password'] = 'exporters-secret'
    jobs = [(t['job'], t['instance']) for t in logic.value('h3', 'caddy_metrics_targets', hostvars, groups, [])
            if t['job'] in ('node', 'mysqld')]
    assert jobs == [('node', 'h1'), ('mysqld', 'h1')]


def test_the_proxy_leaves_users_to_servers_that_check_them():
    groups = {group: ['lab'] for group in ALL}
    assert logic.value('lab', 'caddy_auth', {'lab': {'server_auth': 'mlflow'}}, groups, 'basic') == 'upstream'
    assert logic.value('lab', 'caddy_auth', {'lab': {}}, groups, 'basic') == 'basic'


def test_seaweedfs_is_wired_like_minio_on_its_own_port():
    groups = {group: ['lab'] for group in ALL}
    found = logic.derive('lab', {'lab': {'filament_storage': 'seaweedfs', 'minio_metrics_password': 'metrics-key'}}, groups)
    assert found['seaweedfs_address'] == '127.0.0.1'
    # MinIO's metrics key in the inventory gives no MinIO target where SeaweedFS runs.
    assert [t['job'] for t in found['caddy_metrics_targets']] == ['caddy']
    assert found['server_s3_endpoint_url'] == 'http://127.0.0.1:8333'
    assert 'minio_address' not in found and 'minio_volumes' not in found

    hostvars, groups = cluster()
    for host in hostvars:
        hostvars[host]['filament_storage'] = 'seaweedfs'
    hostvars['h2']['seaweedfs_s3_port'] = 18333
    h1, h2, h3 = (logic.derive(h, hostvars, groups) for h in ('h1', 'h2', 'h3'))
    assert h1['seaweedfs_address'] == '10.0.0.1' and h3['seaweedfs_address'] == '10.0.0.3'
    # Each server uses the gateway on its own host, at the port that host sets.
    assert (h1['server_s3_endpoint_url'], h2['server_s3_endpoint_url']) == ('http://10.0.0.1:8333', 'http://10.0.0.2:18333')


def test_the_seaweedfs_port_read_across_hosts_is_the_roles_own():
    with open(os.path.join(ROLES, 'seaweedfs', 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    for name in ('seaweedfs_s3_port', 'seaweedfs_master_port', 'seaweedfs_filer_db_name', 'seaweedfs_filer_db_user'):
        assert logic.ROLE_DEFAULTS[name] == defaults[name]


def test_one_seaweedfs_host_runs_its_own_master_and_keeps_its_metadata_itself():
    groups = {group: ['lab'] for group in ALL}
    found = logic.derive('lab', {'lab': {'filament_storage': 'seaweedfs'}}, groups)
    # The roles' own defaults stand: no masters elsewhere, the filer's store on the host's disk.
    assert found['seaweedfs_masters'] is None and found['seaweedfs_filer_db_host'] is None
    assert found['mysql_filer_account'] == {}


def test_seaweedfs_on_several_hosts_is_one_cluster_with_its_metadata_in_the_site_database():
    hostvars, groups = cluster()
    for host in hostvars:
        hostvars[host]['filament_storage'] = 'seaweedfs'
    hostvars['h1']['seaweedfs_filer_db_password'] = 'filer-secret-of-the-site'
    h1, h2, h3, h4 = (logic.derive(h, hostvars, groups) for h in ('h1', 'h2', 'h3', 'h4'))
    # Three masters of four hosts, the same list on each; every host finds the primary's database.
    assert h1['seaweedfs_masters'] == h4['seaweedfs_masters'] == ['10.0.0.1:9333', '10.0.0.2:9333', '10.0.0.3:9333']
    assert (h1['seaweedfs_filer_db_host'], h3['seaweedfs_filer_db_host']) == ('127.0.0.1', '10.0.0.1')
    assert h2['seaweedfs_filer_db_port'] == 3306
    # The primary makes the account for every storage host: its own over loopback, the others by address.
    assert h1['mysql_filer_account'] == {
        'database': 'seaweedfs_filer', 'user': 'seaweedfs_filer', 'password': 'filer-secret-of-the-site',
        'hosts': ['localhost', '127.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']}
    assert h2['mysql_filer_account']['hosts'] == ['localhost', '127.0.0.1', '10.0.0.1', '10.0.0.3', '10.0.0.4']

    # Two hosts: one master (a raft of two would stop with either); a port and name set in the inventory count.
    groups.update(mlflow_storage=['h3', 'h4'], mlflow_db=['h1'], mlflow_server=['h1'])
    hostvars['h3'].update(seaweedfs_master_port=19333, seaweedfs_filer_db_name='filer_meta')
    h1, h4 = logic.derive('h1', hostvars, groups), logic.derive('h4', hostvars, groups)
    assert h4['seaweedfs_masters'] == ['10.0.0.3:19333']
    # The filers on other hosts reach the database at its address.
    assert h1['mysql_bind_address'] == '127.0.0.1,10.0.0.1'
    assert h1['mysql_filer_account']['hosts'] == ['10.0.0.3', '10.0.0.4']
    assert h1['mysql_filer_account']['database'] == 'filer_meta'
    # A host of mlflow_storage with another store: no SeaweedFS cluster.
    hostvars['h4']['filament_storage'] = 'minio'
    assert logic.derive('h3', hostvars, groups)['seaweedfs_masters'] is None
    assert logic.derive('h1', hostvars, groups)['mysql_filer_account'] == {}


class CountingHostvars(dict):
    """hostvars that count how often each host's variables are built, as Ansible's are on each read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.built = {}

    def get(self, host, default=None):
        self.built[host] = self.built.get(host, 0) + 1
        return super().get(host, default)


def test_a_derived_value_builds_each_hosts_variables_once():
    names = ['a', 'b', 'c', 'd']
    hostvars = CountingHostvars({name: {'filament_address': '10.0.0.%d' % (i + 1)} for i, name in enumerate(names)})
    groups = {'mlflow_db': names[:2], 'mlflow_storage': names, 'mlflow_server': names[:2], 'mlflow_proxy': ['c']}
    assert logic.value('c', 'caddy_upstreams', hostvars, groups, None) == ['10.0.0.1:5000', '10.0.0.2:5000']
    assert hostvars.built == {name: 1 for name in names}
    once = logic.once(hostvars)
    assert logic.once(once) is once
    assert once.get('nobody') is None and 'nobody' not in once and once['a'].get('filament_site') is None


def test_the_store_roles_name_one_note_of_where_the_artifacts_are():
    """The note migrate-artifacts.yml leaves (the seaweedfs role writes it, the minio role reads it)."""
    def mark(role):
        with open(os.path.join(ROLES, role, 'vars', 'main.yml')) as handle:
            return yaml.safe_load(handle)['__%s_store_mark' % role]
    assert mark('minio') == mark('seaweedfs') == '/etc/filament-mlflow/artifact-store'


def test_presigned_transfers_go_through_the_proxy_to_the_store_on_its_one_host():
    groups = {group: ['lab'] for group in ALL}
    for store, upstream in (('minio', '127.0.0.1:9000'), ('seaweedfs', '127.0.0.1:8333')):
        hostvars = {'lab': {'server_presigned_through_proxy': True, 'filament_storage': store}}
        assert logic.value('lab', 'server_presigned_prefix', hostvars, groups, None) == '/_store'
        assert logic.value('lab', 'caddy_presigned_store', hostvars, groups, None) == {'prefix': '/_store', 'upstream': upstream}


@pytest.mark.parametrize('case', ['several hosts', 'store elsewhere', 'external store', 'https store', 'off'])
def test_presigned_transfers_through_the_proxy_only_where_proxy_server_and_store_are_one_host(case):
    hostvars, groups = {'lab': {'server_presigned_through_proxy': True}}, {group: ['lab'] for group in ALL}
    if case == 'several hosts':
        hostvars, groups = cluster()
        hostvars['h1']['server_presigned_through_proxy'] = True
    elif case == 'store elsewhere':
        hostvars['lab'].update(facts('10.0.0.1'))
        hostvars['st'] = facts('10.0.0.2')
        groups['mlflow_storage'] = ['st']
    elif case == 'external store':
        hostvars['lab'].update(filament_storage='external', server_s3_endpoint_url='https://s3.example.org')
        groups['mlflow_storage'] = []
    elif case == 'https store':
        hostvars['lab']['server_s3_endpoint_url'] = 'https://127.0.0.1:9000'
    else:
        hostvars['lab']['server_presigned_through_proxy'] = False
    server = groups['mlflow_server'][0]
    assert logic.value(server, 'server_presigned_prefix', hostvars, groups, None) == ''
    assert logic.value(groups['mlflow_proxy'][0], 'caddy_presigned_store', hostvars, groups, None) == {}
