"""filament-mlflow-backup's plain parts: reading its settings, the command lines it builds, the
manifest and how a restored stack is judged against it."""

import os

import pytest

from filament_mlflow_server import backup


def test_env_file_reads_what_the_role_writes():
    text = ('# comment\n'
            'PLAIN=abc:/x\n'
            'QUOTED="p@ss word \\"q\\" \\\\ \\$HOME"\n'
            'EMPTY=\n')
    found = backup.parse_env_file(text)
    assert found == {'PLAIN': 'abc:/x', 'QUOTED': 'p@ss word "q" \\ $HOME', 'EMPTY': ''}


def test_store_uri_parts_are_decoded():
    found = backup.parse_store_uri('mysql+pymysql://ml%2Fuser:p%40ss%3A%2F@10.0.0.5:3307/mlflow?charset=utf8mb4')
    assert found == {'host': '10.0.0.5', 'port': 3307, 'user': 'ml/user', 'password': 'p@ss:/', 'database': 'mlflow'}


@pytest.mark.parametrize('auth, wanted', [
    ('mlflow_auth', 'mlflow_auth'),
    ('', None),
    ('mlflow', None),  # the MLflow database itself is never dumped twice
])
def test_the_auth_database_is_on_the_same_server_for_the_same_account(auth, wanted):
    stack = backup.Stack({'MLFLOW_BACKEND_STORE_URI': 'mysql+pymysql://ml:pw@db.lab:3306/mlflow',
                          'MLFLOW_S3_ENDPOINT_URL': 'http://127.0.0.1:9000', 'FILAMENT_BACKUP_ARTIFACT_URI': 's3://mlflow',
                          'FILAMENT_BACKUP_AUTH_DATABASE': auth})
    if wanted is None:
        assert stack.auth_db is None and stack.auth_present() is False
    else:
        assert stack.auth_db == {'host': 'db.lab', 'port': 3306, 'user': 'ml', 'password': 'pw', 'database': wanted}


def test_store_uri_must_be_mysql_with_a_database():
    with pytest.raises(backup.BackupError, match='MLFLOW_BACKEND_STORE_URI'):
        backup.parse_store_uri('sqlite:///mlflow.db')
    with pytest.raises(backup.BackupError):
        backup.parse_store_uri('mysql+pymysql://u:p@host:3306/')


@pytest.mark.parametrize('repository, wanted', [
    ('sftp:restic@backup.lab:/srv/restic/mlflow', {'user': 'restic', 'host': 'backup.lab', 'port': None,
                                                   'path': '/srv/restic/mlflow'}),
    ('sftp:backup.lab:repo', {'user': None, 'host': 'backup.lab', 'port': None, 'path': 'repo'}),
    ('sftp://restic@backup.lab:2222//srv/repo', {'user': 'restic', 'host': 'backup.lab', 'port': 2222,
                                                 'path': '//srv/repo'}),
    ('s3:https://s3.example.org/bucket/path', None),
])
def test_sftp_repository(repository, wanted):
    assert backup.parse_sftp_repository(repository) == wanted


def test_restic_gets_its_own_keys_and_a_pinned_ssh(monkeypatch):
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'artifact-store-key')
    env = {'FILAMENT_BACKUP_REPOSITORY': 'sftp://restic@backup.lab:2222//srv/repo',
           'FILAMENT_BACKUP_PASSWORD_FILE': '/etc/mlflow/backup/restic-password',
           'FILAMENT_BACKUP_CACHE_DIR': '/var/cache/mlflow-backup',
           'FILAMENT_BACKUP_SSH_KEY': '/etc/mlflow/backup/ssh-key',
           'FILAMENT_BACKUP_KNOWN_HOSTS': '/etc/mlflow/backup/known_hosts'}
    command, run_env = backup.restic_base(env)
    assert command[:5] == ['restic', '--repo', env['FILAMENT_BACKUP_REPOSITORY'], '--password-file',
                           env['FILAMENT_BACKUP_PASSWORD_FILE']]
    sftp = [word for word in command if word.startswith('sftp.command=')][0]
    assert 'StrictHostKeyChecking=yes' in sftp and 'BatchMode=yes' in sftp
    assert '-i /etc/mlflow/backup/ssh-key' in sftp and 'UserKnownHostsFile=/etc/mlflow/backup/known_hosts' in sftp
    assert sftp.endswith('-p 2222 restic@backup.lab -s sftp')
    # The artifact store's keys are not restic's.
    assert 'AWS_ACCESS_KEY_ID' not in run_env


def test_restic_s3_repository_keys(monkeypatch):
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'artifact-store-secret')
    env = {'FILAMENT_BACKUP_REPOSITORY': 's3:https://s3.example.org/backups/mlflow',
           'FILAMENT_BACKUP_PASSWORD_FILE': '/p', 'FILAMENT_BACKUP_S3_ACCESS_KEY': 'bk',
           'FILAMENT_BACKUP_S3_SECRET_KEY': 'bs', 'FILAMENT_BACKUP_S3_REGION': 'eu-west-1'}
    command, run_env = backup.restic_base(env)
    assert not [word for word in command if word.startswith('sftp.command')]
    assert (run_env['AWS_ACCESS_KEY_ID'], run_env['AWS_SECRET_ACCESS_KEY'], run_env['AWS_DEFAULT_REGION']) == \
        ('bk', 'bs', 'eu-west-1')


def test_rclone_reads_the_servers_s3_settings():
    run_env, flags = backup.rclone_env({'AWS_ACCESS_KEY_ID': 'k', 'AWS_SECRET_ACCESS_KEY': 's',
                                        'MLFLOW_S3_ENDPOINT_URL': 'https://127.0.0.1:9000',
                                        'AWS_CA_BUNDLE': '/etc/mlflow/s3-ca.pem'})
    assert run_env['RCLONE_CONFIG_STORE_TYPE'] == 's3'
    assert run_env['RCLONE_CONFIG_STORE_ENDPOINT'] == 'https://127.0.0.1:9000'
    assert run_env['RCLONE_CONFIG_STORE_ACCESS_KEY_ID'] == 'k'
    assert flags == ['--ca-cert', '/etc/mlflow/s3-ca.pem']


def test_rclone_reads_the_servers_gcs_settings():
    run_env, flags = backup.rclone_env({'GOOGLE_APPLICATION_CREDENTIALS': '/etc/mlflow/gcs-credentials.json'})
    assert run_env['RCLONE_CONFIG_STORE_TYPE'] == 'google cloud storage'
    assert run_env['RCLONE_CONFIG_STORE_SERVICE_ACCOUNT_FILE'] == '/etc/mlflow/gcs-credentials.json'
    assert flags == []


@pytest.mark.parametrize('uri, wanted', [('s3://mlflow', 'mlflow'), ('gs://team-bucket/mlflow/', 'team-bucket/mlflow')])
def test_bucket_of(uri, wanted):
    assert backup.bucket_of({'FILAMENT_BACKUP_ARTIFACT_URI': uri}) == wanted


def test_bucket_of_refuses_other_schemes():
    with pytest.raises(backup.BackupError):
        backup.bucket_of({'FILAMENT_BACKUP_ARTIFACT_URI': 'file:///tmp/x'})


def test_table_digest_quotes_every_column():
    sql = backup.table_digest_sql('mlflow', 'metrics', ['key', 'value', 'step'])
    assert 'QUOTE(`key`), QUOTE(`value`), QUOTE(`step`)' in sql
    assert sql.endswith('FROM `mlflow`.`metrics`')


def test_artifacts_manifest_hashes_and_reuses_its_cache(tmp_path):
    (tmp_path / '1' / 'run' / 'artifacts').mkdir(parents=True)
    (tmp_path / '1' / 'run' / 'artifacts' / 'model.bin').write_bytes(b'x' * 10)
    found = backup.artifacts_manifest(str(tmp_path))
    item = found['1/run/artifacts/model.bin']
    assert item['size'] == 10
    assert item['sha256'] == backup.sha256_of(str(tmp_path / '1' / 'run' / 'artifacts' / 'model.bin'))
    # An unchanged file (same size and mtime) takes its digest from the cache.
    cache = {'1/run/artifacts/model.bin': [10, item['mtime_ns'], 'cached']}
    assert backup.artifacts_manifest(str(tmp_path), cache)['1/run/artifacts/model.bin']['sha256'] == 'cached'
    os.utime(tmp_path / '1' / 'run' / 'artifacts' / 'model.bin', ns=(1, 1))
    assert backup.artifacts_manifest(str(tmp_path), cache)['1/run/artifacts/model.bin']['sha256'] == item['sha256']


def _manifest(exact):
    return {'database': {'runs': {'r1': {}, 'r2': {}}, 'experiments': {'0': {}, '1': {}}, 'tables_exact': exact,
                         'tables': {'runs': {'rows': 2, 'digest': 'aa'}}},
            'artifacts': {'1/r1/artifacts/a.txt': {'size': 3, 'sha256': 'abc'}}}


def test_a_matching_stack_has_no_problems():
    wanted = _manifest(True)
    assert backup.manifest_problems(wanted, wanted['database'], {'1/r1/artifacts/a.txt': {'size': 3, 'sha256': 'abc'}}) == []


def test_missing_runs_and_artifacts_are_named():
    wanted = _manifest(False)
    problems = backup.manifest_problems(wanted, {'runs': {'r1': {}}, 'experiments': {'0': {}, '1': {}}, 'tables': {}}, {})
    assert problems == ['1 runs of the backup are missing (r2)', 'artifact 1/r1/artifacts/a.txt is missing']


def test_tables_are_compared_only_when_the_manifest_is_exact():
    database = {'runs': {'r1': {}, 'r2': {}, 'r3': {}}, 'experiments': {'0': {}, '1': {}},
                'tables': {'runs': {'rows': 3, 'digest': 'bb'}}}
    artifacts = {'1/r1/artifacts/a.txt': {'size': 3, 'sha256': 'abc'}}
    assert backup.manifest_problems(_manifest(False), database, artifacts) == []
    assert backup.manifest_problems(_manifest(True), database, artifacts) == ['tables differ from the backup: runs']


def test_a_changed_artifact_is_named():
    problems = backup.manifest_problems(_manifest(False), _manifest(False)['database'],
                                        {'1/r1/artifacts/a.txt': {'size': 3, 'sha256': 'abd'}})
    assert problems == ['artifact 1/r1/artifacts/a.txt differs from the backup']


def test_definers_are_taken_out_of_a_dump():
    lines = [b'/*!50003 CREATE*/ /*!50017 DEFINER=`mlflow`@`127.0.0.1`*/ /*!50003 TRIGGER t BEFORE UPDATE ON x\n',
             b'CREATE DEFINER=`ml``flow`@`%` PROCEDURE p()\n',
             b"INSERT INTO params VALUES ('DEFINER=`a`@`b`')\n"]
    found = list(backup.without_definers(lines))
    assert found[0] == b'/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE UPDATE ON x\n'
    assert found[1] == b'CREATE PROCEDURE p()\n'
    # A row that holds such text keeps it.
    assert found[2] == lines[2]


def test_retention_keeps_the_last_and_the_recent_or_only_the_last():
    assert backup.retention_args({}) == ['--keep-last', '14', '--keep-within', '30d']
    assert backup.retention_args({'FILAMENT_BACKUP_KEEP_LAST': '2', 'FILAMENT_BACKUP_KEEP_WITHIN': ''}) == ['--keep-last', '2']
