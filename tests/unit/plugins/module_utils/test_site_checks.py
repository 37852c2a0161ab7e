"""Cross-tier checks of site.yml: the messages a wrong inventory gets, host by host."""

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import site_checks

ALL = ['mlflow_db', 'mlflow_storage', 'mlflow_server', 'mlflow_proxy']


def checked(mysql=None, minio=None, server=None, caddy=None, **variables):
    """One host's variables as they stand after every tier's preflight passed (the lab's values)."""
    host = {
        '__mysql_checked': {'ports': {'mysql_port': 3306}, 'port': 3306, 'bind_address': '127.0.0.1',
                            'user': 'mlflow', 'database': 'mlflow', 'auth_database': 'mlflow_auth',
                            'max_connections': 300},
        '__minio_checked': {'ports': {'minio_address': 9000}, 'port': 9000, 'address': '127.0.0.1:9000', 'tls': False,
                            'bucket': 'mlflow', 'mlflow_user': 'mlflow'},
        '__server_checked': {'ports': {'server_port': 5000}, 'port': 5000, 'listen_address': '127.0.0.1',
                             'db_host': '127.0.0.1', 'db_port': 3306, 'db_user': 'mlflow', 'db_name': 'mlflow',
                             'gcs': False, 's3_endpoint_url': 'http://127.0.0.1:9000', 's3_access_key': 'mlflow',
                             'bucket': 'mlflow', 'auth': 'proxy', 'auth_db_name': 'mlflow_auth', 'db_connections': 30},
        '__caddy_checked': {'ports': {'caddy_http_port': 80, 'caddy_https_port': 443}, 'upstreams': ['127.0.0.1:5000'],
                            'auth': 'basic'},
        'mysql_password': 's3cret-db', 'server_db_password': 's3cret-db',
        'minio_root_user': 'admin', 'minio_root_password': 's3cret-minio', 'minio_mlflow_password': 's3cret-mlflow',
        'server_s3_access_key': 'mlflow', 'server_s3_secret_key': 's3cret-mlflow',
        'ansible_facts': {'default_ipv4': {'address': '10.0.0.1'}, 'all_ipv4_addresses': ['10.0.0.1']},
    }
    for role, change in (('mysql', mysql), ('minio', minio), ('server', server), ('caddy', caddy)):
        host['__%s_checked' % role].update(change or {})
    host.update(variables)
    return host


def one_host(**kwargs):
    return site_checks.tier_problems('lab', {'lab': checked(**kwargs)}, {group: ['lab'] for group in ALL})


def test_the_lab_agrees():
    assert one_host() == []


def test_two_services_on_one_port():
    problems = one_host(server={'ports': {'server_port': 9000}, 'port': 9000}, caddy={'upstreams': ['127.0.0.1:9000']})
    assert problems == ['lab: minio_address and server_port use port 9000; two services on one host '
                        'cannot listen on the same port.']


def test_console_and_proxy_ports_count():
    problems = one_host(minio={'ports': {'minio_address': 9000, 'minio_console_address': 443}})
    assert 'minio_console_address and caddy_https_port' in problems[0]


def test_database_port_user_name_and_password_must_agree():
    problems = one_host(server={'db_port': 3307, 'db_user': 'other', 'db_name': 'tracking'}, server_db_password='nope')
    assert problems == [
        'lab: server_db_port is 3307, but the database tier on lab listens on mysql_port 3306.',
        "lab: server_db_user is 'other', but the database tier on lab has mysql_user 'mlflow'.",
        "lab: server_db_name is 'tracking', but the database tier on lab has mysql_database 'mlflow'.",
        'lab: server_db_password is not the mysql_password of the database tier on lab.',
    ]
    assert not any('nope' in p or 's3cret' in p for p in problems)


def test_the_auth_database_must_be_the_database_tiers():
    assert one_host(server={'auth_db_name': 'users'}) == [
        "lab: server_auth_db_name is 'users', but the database tier on lab has mysql_auth_database 'mlflow_auth'."]


@pytest.mark.parametrize('server_auth, caddy_auth, words', [
    ('mlflow', 'upstream', None),
    ('proxy', 'upstream', 'lab: caddy_auth is upstream, but the MLflow server on lab has server_auth proxy and checks nobody'),
    ('mlflow', 'basic', 'lab: caddy_auth is basic, but the MLflow server on lab checks its own users'),
])
def test_one_of_proxy_and_server_checks_users(server_auth, caddy_auth, words):
    problems = one_host(server={'auth': server_auth}, caddy={'auth': caddy_auth})
    assert problems == ([] if words is None else [problems[0]])
    if words:
        assert problems[0].startswith(words)


def test_storage_port_scheme_and_keys_must_agree():
    problems = one_host(server={'s3_endpoint_url': 'https://127.0.0.1:9100'}, server_s3_secret_key='wrong')
    assert problems == [
        'lab: server_s3_endpoint_url https://127.0.0.1:9100 uses port 9100, but MinIO on lab listens on port 9000 '
        '(minio_address).',
        'lab: server_s3_endpoint_url https://127.0.0.1:9100 uses https, but MinIO on lab serves http '
        '(minio_tls_cert_src empty).',
        'lab: server_s3_secret_key is not the minio_mlflow_password of MinIO on lab.',
    ]


def test_the_server_never_gets_the_root_key():
    problems = one_host(server={'s3_access_key': 'admin'}, server_s3_secret_key='s3cret-minio')
    assert problems == ["lab: server_s3_access_key is minio_root_user, the root key of MinIO on lab; MLflow gets its "
                        "own key: set server_s3_access_key to minio_mlflow_user ('mlflow') and server_s3_secret_key "
                        "to minio_mlflow_password."]
    assert not any('s3cret' in p for p in problems)


def test_the_server_key_and_bucket_are_the_ones_minio_makes():
    assert one_host(server={'s3_access_key': 'someone', 'bucket': 'artifacts'}) == [
        "lab: server_s3_access_key is 'someone', but MinIO on lab has minio_mlflow_user 'mlflow'.",
        "lab: server_bucket is 'artifacts', but MinIO on lab makes minio_bucket 'mlflow' for MLflow's key.",
    ]


def test_gcs_mode_ignores_the_storage_tier():
    assert one_host(server={'gcs': True, 's3_endpoint_url': ''}, server_s3_secret_key='unused') == []


def without_storage_tier(**variables):
    hostvars = {'app': checked(server={'s3_endpoint_url': variables.get('server_s3_endpoint_url', 'http://127.0.0.1:9000'),
                                       'gcs': bool(variables.pop('gcs', False))}, **variables)}
    groups = {'mlflow_db': ['app'], 'mlflow_storage': [], 'mlflow_server': ['app'], 'mlflow_proxy': ['app']}
    return site_checks.tier_problems('app', hostvars, groups)


def test_an_external_s3_is_the_endpoint_the_inventory_gives():
    assert without_storage_tier(**EXTERNAL_S3) == []
    assert without_storage_tier(filament_storage='external') == [
        'app: filament_storage is external (an S3 you already have): set server_s3_endpoint_url to its URL (with '
        'server_s3_region, server_s3_access_key, server_s3_secret_key, and server_s3_ca_bundle when its certificate '
        'is signed by a CA of your own).']
    assert without_storage_tier(gcs=True, **EXTERNAL_S3) == [
        'app: filament_storage is external (an S3 you already have), but server_gcs_auth_string is set (artifacts in '
        'GCS); leave one of them.']


@pytest.mark.parametrize('store, title', [(None, 'MinIO'), ('seaweedfs', 'SeaweedFS')])
def test_a_store_of_ours_needs_hosts_in_mlflow_storage(store, title):
    variables = {'filament_storage': store} if store else {}
    assert without_storage_tier(**variables) == [
        'app: mlflow_storage has no hosts to run %s (filament_storage) on, and server_gcs_auth_string is empty. Add '
        'the storage hosts to mlflow_storage, set filament_storage: external and server_s3_endpoint_url for an S3 '
        'you already have, or set server_gcs_auth_string for GCS.' % title]
    assert without_storage_tier(gcs=True, **variables) == []


def test_proxy_upstream_must_be_a_server_port():
    assert one_host(caddy={'upstreams': ['127.0.0.1:5001']}) == [
        'lab: caddy_upstreams has 127.0.0.1:5001, but the MLflow server on lab listens on server_port 5000.']


# A server of a site without a storage tier: its artifacts in an S3 the team already has.
EXTERNAL_S3 = {'filament_storage': 'external', 'server_s3_endpoint_url': 'https://s3.example.com'}


def test_loopback_database_on_a_host_outside_the_tier():
    hostvars = {'app': checked(server={'s3_endpoint_url': 'https://s3.example.com'}, **EXTERNAL_S3), 'db': checked()}
    groups = {'mlflow_db': ['db'], 'mlflow_storage': [], 'mlflow_server': ['app'], 'mlflow_proxy': ['app']}
    problems = site_checks.tier_problems('app', hostvars, groups)
    assert problems == ['app: server_db_host is 127.0.0.1 (this host), but app is not in mlflow_db; '
                        'point server_db_host at one of db.']


def test_remote_database_must_listen_beyond_loopback():
    hostvars = {'app': checked(server={'db_host': '10.0.0.2', 's3_endpoint_url': 'https://s3.example.com'}, **EXTERNAL_S3),
                'db': checked(ansible_facts={'default_ipv4': {'address': '10.0.0.2'}})}
    groups = {'mlflow_db': ['db'], 'mlflow_storage': [], 'mlflow_server': ['app'], 'mlflow_proxy': ['app']}
    assert site_checks.tier_problems('app', hostvars, groups) == [
        'app: the MLflow server reaches the database at server_db_host 10.0.0.2, but mysql_bind_address on db '
        'is 127.0.0.1 (loopback only).']
    hostvars['db']['__mysql_checked']['bind_address'] = '10.0.0.2'
    assert site_checks.tier_problems('app', hostvars, groups) == []


def test_every_database_host_takes_all_servers_pools_at_once():
    # Two servers of 4 workers with the default pools (5 + 10), one with MLflow's auth (twice as many).
    hostvars = {'db1': checked(), 'db2': checked(ansible_facts={'default_ipv4': {'address': '10.0.0.3'}}),
                'app1': checked(server={'db_host': '10.0.0.1', 'db_connections': 60}),
                'app2': checked(server={'db_host': '10.0.0.1', 'db_connections': 120})}
    for db in ('db1', 'db2'):
        hostvars[db]['__mysql_checked']['max_connections'] = 199
    groups = {'mlflow_db': ['db1', 'db2'], 'mlflow_storage': [], 'mlflow_server': ['app1', 'app2'], 'mlflow_proxy': []}
    for db in ('db1', 'db2'):
        problems = [p for p in site_checks.tier_problems(db, hostvars, groups) if 'max_connections' in p]
        assert problems == [
            '%s: mysql_max_connections is 199, but the MLflow servers may open 180 connections together (app1 60, '
            'app2 120: server_workers x (server_db_pool_size + server_db_pool_max_overflow), twice with server_auth: '
            'mlflow), and 20 more are kept for the exporter, backups and administration; set mysql_max_connections '
            'to 200 or more, or make the pools smaller.' % db]
    hostvars['db2']['__mysql_checked']['max_connections'] = 200
    assert not [p for p in site_checks.tier_problems('db2', hostvars, groups) if 'max_connections' in p]
    assert one_host(mysql={'max_connections': 49}) == [
        'lab: mysql_max_connections is 49, but the MLflow servers may open 30 connections together (lab 30: '
        'server_workers x (server_db_pool_size + server_db_pool_max_overflow), twice with server_auth: mlflow), '
        'and 20 more are kept for the exporter, backups and administration; set mysql_max_connections to 50 or '
        'more, or make the pools smaller.']
    assert one_host(mysql={'max_connections': 50}) == []


def test_only_the_tiers_a_host_is_in_count():
    hostvars = {'db': checked(server={'ports': {'server_port': 3306}})}
    groups = {'mlflow_db': ['db'], 'mlflow_storage': [], 'mlflow_server': [], 'mlflow_proxy': []}
    assert site_checks.tier_problems('db', hostvars, groups) == []


@pytest.mark.parametrize('name', ['root', 'ROOT', 'mysql', 'mariadb.sys', 'debian-sys-maint', 'PUBLIC', 'mysql.session'])
def test_reserved_accounts(name):
    assert site_checks.is_reserved_mysql_account(name)


@pytest.mark.parametrize('name', ['mlflow', 'tracking', 'rooted'])
def test_own_accounts(name):
    assert not site_checks.is_reserved_mysql_account(name)


@pytest.mark.parametrize('value, expected', [
    ('127.0.0.1:5000', ('127.0.0.1', 5000)), ('[::1]:5000', ('::1', 5000)), ('app', ('app', None)),
    ('app.lab:80', ('app.lab', 80)),
])
def test_split_host_port(value, expected):
    assert site_checks.split_host_port(value) == expected


def test_the_hosts_of_a_minio_pool_give_the_same_volumes_and_credentials_and_each_is_in_it():
    pool = ['http://10.0.0.{1...3}:9000/srv/minio']
    hostvars = {}
    for n in (1, 2, 3):
        hostvars['s%d' % n] = {
            'ansible_facts': {'default_ipv4': {'address': '10.0.0.%d' % n}},
            'minio_root_user': 'admin', 'minio_root_password': 'secret-1',
            '__minio_checked': {'ports': {'minio_address': 9000}, 'port': 9000, 'address': '10.0.0.%d:9000' % n,
                                'tls': False, 'volumes': pool}}
    groups = {'mlflow_storage': ['s1', 's2', 's3']}
    assert site_checks.tier_problems('s1', hostvars, groups) == []
    hostvars['s2']['__minio_checked']['volumes'] = ['http://10.0.0.{1...2}:9000/srv/minio']
    hostvars['s3']['minio_root_password'] = 'secret-2'
    assert site_checks.tier_problems('s1', hostvars, groups) == [
        "s1: minio_volumes is ['http://10.0.0.{1...3}:9000/srv/minio'], but s2 has "
        "['http://10.0.0.{1...2}:9000/srv/minio']; every host of a MinIO pool must give the same.",
        's1: minio_root_password is not the one of s3; the hosts of a MinIO pool share their users and credentials.']
    hostvars['s3']['__minio_checked']['volumes'] = ['http://10.0.0.{1...2}:9000/srv/minio']
    assert site_checks.tier_problems('s3', hostvars, groups)[-1] == (
        's3: minio_volumes (http://10.0.0.{1...2}:9000/srv/minio) names no drive of this host; '
        'it must be one of the pool at an address of its own.')


def replicated(states):
    """Two database hosts with the states their preflight read (None: no server running)."""
    hostvars = {}
    for n, host in enumerate(('a', 'b'), start=1):
        hostvars[host] = {'filament_address': '10.0.0.%d' % n, 'mysql_replication_password': 'replication-1',
                          '__mysql_checked': {'server_id': n, 'replication': states[host]}}
    return hostvars, {'mlflow_db': ['a', 'b']}


def test_a_replicated_tier_agrees_with_the_primary_the_inventory_names():
    primary = {'read_only': False, 'source': '', 'binlog_pos': '0-1-9', 'has_database': True}
    replica = {'read_only': True, 'source': '10.0.0.1', 'binlog_pos': '0-1-9', 'has_database': True}
    hostvars, groups = replicated({'a': primary, 'b': replica})
    assert site_checks.tier_problems('a', hostvars, groups) == []
    assert site_checks.tier_problems('b', hostvars, groups) == []
    assert site_checks.replica_action('a', hostvars, groups) == 'primary'
    assert site_checks.replica_action('b', hostvars, groups) == 'replicating'
    # After db-promote.yml made b the primary, an inventory that still names a is refused.
    hostvars, groups = replicated({'a': dict(replica, source='', read_only=True), 'b': dict(primary, source='')})
    assert site_checks.tier_problems('a', hostvars, groups) == [
        'a: mysql_primary is a, but b is the host of mlflow_db that takes writes: set mysql_primary: b in the '
        'inventory, or move writes with playbooks/db-promote.yml -e mysql_primary=a.']
    for host in hostvars:
        hostvars[host]['mysql_primary'] = 'b'
    assert site_checks.tier_problems('b', hostvars, groups) == []
    assert site_checks.replica_action('a', hostvars, groups) == 'repoint'


def test_a_replicated_tier_names_what_its_hosts_must_share():
    hostvars, groups = replicated({'a': None, 'b': None})
    hostvars['b']['mysql_replication_password'] = 'replication-2'
    hostvars['b']['__mysql_checked']['server_id'] = 1
    assert site_checks.tier_problems('a', hostvars, groups) == [
        'a: mysql_replication_password is not the one of b; the hosts of mlflow_db share it.',
        'a: mysql_server_id 1 is the one of b as well; each host of mlflow_db needs its own.']
    hostvars['a']['mysql_primary'] = 'c'
    assert site_checks.tier_problems('a', hostvars, groups)[0] == (
        'a: mysql_primary is c, which is not a host of mlflow_db (a, b).')
    # A fresh tier: the first host is the primary, the other is seeded from it.
    hostvars, groups = replicated({'a': None, 'b': None})
    assert site_checks.replica_action('b', hostvars, groups) == 'seed'
    hostvars['b']['filament_site'] = 'other'
    assert site_checks.tier_problems('a', hostvars, groups) == []


def seaweedfs_host(**variables):
    """The lab with SeaweedFS in place of MinIO (filament_storage: seaweedfs)."""
    host = checked(server={'s3_endpoint_url': 'http://127.0.0.1:8333'})
    del host['__minio_checked']
    host.update({
        'filament_storage': 'seaweedfs',
        '__seaweedfs_checked': {'ports': {'seaweedfs_s3_port': 8333, 'seaweedfs_s3_port (gRPC)': 18333,
                                          'seaweedfs_volume_port': 8080, 'seaweedfs_volume_port (gRPC)': 18080},
                                'port': 8333, 'address': '127.0.0.1', 'tls': False, 'bucket': 'mlflow',
                                'mlflow_user': 'mlflow'},
        'seaweedfs_admin_key': 'admin', 'seaweedfs_mlflow_secret': 's3cret-mlflow',
    })
    host.update(variables)
    return site_checks.tier_problems('lab', {'lab': host}, {group: ['lab'] for group in ALL})


def test_the_lab_on_seaweedfs_agrees():
    assert seaweedfs_host() == []


def test_seaweedfs_names_its_own_variables():
    problems = seaweedfs_host(__server_checked=dict(checked()['__server_checked'], s3_endpoint_url='https://127.0.0.1:9000',
                                                    bucket='artifacts'),
                              server_s3_secret_key='wrong')
    assert problems == [
        'lab: server_s3_endpoint_url https://127.0.0.1:9000 uses port 9000, but SeaweedFS on lab listens on port 8333 '
        '(seaweedfs_s3_port).',
        'lab: server_s3_endpoint_url https://127.0.0.1:9000 uses https, but SeaweedFS on lab serves http.',
        'lab: server_s3_secret_key is not the seaweedfs_mlflow_secret of SeaweedFS on lab.',
        "lab: server_bucket is 'artifacts', but SeaweedFS on lab makes seaweedfs_bucket 'mlflow' for MLflow's key.",
    ]
    assert not any('s3cret' in p or 'wrong' in p for p in problems)


def test_seaweedfs_admin_key_is_never_the_servers():
    problems = seaweedfs_host(__server_checked=dict(checked()['__server_checked'], s3_endpoint_url='http://127.0.0.1:8333',
                                                    s3_access_key='admin'))
    assert problems == ["lab: server_s3_access_key is seaweedfs_admin_key, the admin key of SeaweedFS on lab; MLflow "
                        "gets its own key: set server_s3_access_key to seaweedfs_mlflow_key ('mlflow') and "
                        "server_s3_secret_key to seaweedfs_mlflow_secret."]


def test_seaweedfs_ports_and_their_grpc_ports_count_against_the_others():
    problems = seaweedfs_host(__server_checked=dict(checked()['__server_checked'], s3_endpoint_url='http://127.0.0.1:8333',
                                                    ports={'server_port': 18080}, port=18080))
    assert 'seaweedfs_volume_port (gRPC) and server_port use port 18080' in problems[0]


def test_the_hosts_of_one_seaweedfs_must_agree_and_never_show_a_secret():
    def node(masters, secret, filer_db='database seaweedfs_filer as seaweedfs_filer'):
        return {'filament_storage': 'seaweedfs', 'seaweedfs_filer_db_password': secret,
                '__seaweedfs_checked': {'ports': {}, 'port': 8333, 'address': '10.0.0.1', 'tls': False, 'bucket': 'mlflow',
                                        'mlflow_user': 'mlflow', 'masters': masters, 'filer_db': filer_db}}
    groups = {'mlflow_storage': ['a', 'b']}
    hostvars = {'a': node('10.0.0.1:9333', 'filer-secret-one'), 'b': node('10.0.0.1:9333', 'filer-secret-one')}
    assert site_checks.tier_problems('a', hostvars, groups) == []
    hostvars['b'] = node('10.0.0.2:9333', 'filer-secret-two', filer_db='this host')
    problems = site_checks.tier_problems('a', hostvars, groups)
    assert problems == [
        'a: seaweedfs_masters is 10.0.0.1:9333, but b has 10.0.0.2:9333; the hosts of one SeaweedFS must give the same.',
        "a: the filers' store (seaweedfs_filer_db_host, _name, _user) is database seaweedfs_filer as seaweedfs_filer, "
        "but b has this host; the hosts of one SeaweedFS must give the same.",
        "a: seaweedfs_filer_db_password is not the one of b; the hosts of one SeaweedFS share their identities and the "
        "filers' account.",
    ]
    assert not any('filer-secret' in problem for problem in problems)
    # MinIO on one host and SeaweedFS on the other: one site has one store.
    hostvars['b'] = {'__minio_checked': {'ports': {}, 'port': 9000}}
    assert site_checks.tier_problems('a', hostvars, groups) == [
        'a: filament_storage is seaweedfs, but b of the same mlflow_storage runs MinIO; one site has one store: give '
        'its storage hosts the same filament_storage.']
