"""``filament-mlflow-backup``: back up and restore an MLflow tracking service with restic.

One backup is one restic snapshot of a staging directory that holds
- ``database/<name>.sql``: ``mysqldump --single-transaction`` of the MLflow database (a consistent
  copy taken while the service runs: routines, triggers and events included), and of MLflow's auth
  database (``FILAMENT_BACKUP_AUTH_DATABASE``: its users and their permissions) when there is one;
- ``artifacts/``: the artifact bucket, mirrored by ``rclone sync`` (only what changed is fetched);
- ``manifest.json``: the runs and experiments, a digest of every table, and every artifact with its
  size and sha256.

restic encrypts and deduplicates the snapshot in the repository (SFTP, S3 or REST, never the data's
own disk), forgets snapshots outside the retention (count and age), and reads back part of the
data; the new snapshot's file list is checked against what was staged. The time of the last
successful backup is written for monitoring. A failure exits non-zero with one line that says
which step failed (systemd marks the unit failed, the journal has the line).

Configuration comes from environment files (``--env-file``, read in order): the server's own
(``MLFLOW_BACKEND_STORE_URI``, the S3 or GCS settings) and the backup's (``FILAMENT_BACKUP_*``).

    filament-mlflow-backup --env-file F... init        create the restic repository if missing
    filament-mlflow-backup --env-file F... backup      take a backup
    filament-mlflow-backup --env-file F... snapshots   list the snapshots (JSON)
    filament-mlflow-backup --env-file F... restore [--snapshot ID] [--overwrite] [--plan]
    filament-mlflow-backup --env-file F... manifest [--download]

Each command prints one JSON object as its last line. No password, key or URI is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

FORMAT = 1
REMOTE = 'store'
# The restic tag of every snapshot this tool takes; forget and restore look only at these.
TAG = 'filament-mlflow'
# How long a locked repository is waited for: LOCK_ATTEMPTS tries, LOCK_WAIT seconds apart.
LOCK_ATTEMPTS, LOCK_WAIT = 30, 10


class BackupError(RuntimeError):
    """A step failed; the message says which, without secrets."""


# --- configuration -------------------------------------------------------------------------------

def parse_env_file(text):
    """KEY=VALUE lines as systemd's EnvironmentFile reads those the roles write: comments, and
    values in double quotes in which a backslash escapes a backslash, a quote, a backquote or a
    dollar sign."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        name, value = line.split('=', 1)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value, plain, escaped = value[1:-1], [], False
            for char in value:
                if escaped:
                    plain.append({'n': '\n', 't': '\t'}.get(char, char))
                    escaped = False
                elif char == '\\':
                    escaped = True
                else:
                    plain.append(char)
            value = ''.join(plain)
        found[name.strip()] = value
    return found


def parse_store_uri(uri):
    """The backend store URI's parts (mysql+pymysql://user:password@host:port/database)."""
    parsed = urllib.parse.urlsplit(uri)
    if not parsed.scheme.startswith('mysql') or not parsed.path.strip('/'):
        raise BackupError('MLFLOW_BACKEND_STORE_URI is not a MySQL URI with a database')
    return {
        'host': parsed.hostname or 'localhost',
        'port': parsed.port or 3306,
        'user': urllib.parse.unquote(parsed.username or ''),
        'password': urllib.parse.unquote(parsed.password or ''),
        'database': urllib.parse.unquote(parsed.path.strip('/')),
    }


def parse_sftp_repository(repository):
    """user, host, port and path of an sftp: repository (sftp:user@host:/path or
    sftp://user@host:port//path); None for other kinds."""
    if not repository.startswith('sftp:'):
        return None
    rest = repository[len('sftp:'):]
    if rest.startswith('//'):
        parsed = urllib.parse.urlsplit(repository)
        return {'user': parsed.username, 'host': parsed.hostname, 'port': parsed.port, 'path': parsed.path}
    target, _colon, path = rest.partition(':')
    user, _at, host = target.rpartition('@')
    return {'user': user or None, 'host': host, 'port': None, 'path': path}


def restic_base(env):
    """restic's command line up to the subcommand, and the environment it runs with: the password
    from a file, S3 keys of the repository (not the artifact store's) only for restic."""
    command = ['restic', '--repo', env['FILAMENT_BACKUP_REPOSITORY'],
               '--password-file', env['FILAMENT_BACKUP_PASSWORD_FILE']]
    if env.get('FILAMENT_BACKUP_CACHE_DIR'):
        command += ['--cache-dir', env['FILAMENT_BACKUP_CACHE_DIR']]
    sftp = parse_sftp_repository(env['FILAMENT_BACKUP_REPOSITORY'])
    if sftp:
        ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
               '-o', 'ServerAliveInterval=30']
        if env.get('FILAMENT_BACKUP_SSH_KEY'):
            ssh += ['-o', 'IdentitiesOnly=yes', '-i', env['FILAMENT_BACKUP_SSH_KEY']]
        if env.get('FILAMENT_BACKUP_KNOWN_HOSTS'):
            ssh += ['-o', 'UserKnownHostsFile=' + env['FILAMENT_BACKUP_KNOWN_HOSTS']]
        if sftp['port']:
            ssh += ['-p', str(sftp['port'])]
        ssh += [('%s@%s' % (sftp['user'], sftp['host'])) if sftp['user'] else sftp['host'], '-s', 'sftp']
        command += ['-o', 'sftp.command=' + ' '.join(shlex.quote(word) for word in ssh)]
    run_env = {name: value for name, value in os.environ.items() if not name.startswith(('AWS_', 'RESTIC_'))}
    for ours, theirs in (('FILAMENT_BACKUP_S3_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'),
                         ('FILAMENT_BACKUP_S3_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY'),
                         ('FILAMENT_BACKUP_S3_REGION', 'AWS_DEFAULT_REGION')):
        if env.get(ours):
            run_env[theirs] = env[ours]
    return command, run_env


def rclone_env(env):
    """rclone's configuration of the artifact store as the remote ``store:``, from the server's own
    settings (no configuration file with keys is written), and the flags it needs."""
    run_env = {name: value for name, value in os.environ.items() if not name.startswith('RCLONE_')}
    prefix = 'RCLONE_CONFIG_%s_' % REMOTE.upper()
    flags = []
    if env.get('GOOGLE_APPLICATION_CREDENTIALS'):
        run_env.update({prefix + 'TYPE': 'google cloud storage',
                        prefix + 'SERVICE_ACCOUNT_FILE': env['GOOGLE_APPLICATION_CREDENTIALS'],
                        prefix + 'BUCKET_POLICY_ONLY': 'true'})
        if env.get('GOOGLE_CLOUD_PROJECT'):
            run_env[prefix + 'PROJECT_NUMBER'] = env['GOOGLE_CLOUD_PROJECT']
    else:
        run_env.update({prefix + 'TYPE': 's3', prefix + 'PROVIDER': 'Other', prefix + 'ENV_AUTH': 'false',
                        prefix + 'ACCESS_KEY_ID': env.get('AWS_ACCESS_KEY_ID', ''),
                        prefix + 'SECRET_ACCESS_KEY': env.get('AWS_SECRET_ACCESS_KEY', ''),
                        prefix + 'REGION': env.get('AWS_DEFAULT_REGION', 'us-east-1'),
                        prefix + 'FORCE_PATH_STYLE': 'true'})
        if env.get('MLFLOW_S3_ENDPOINT_URL'):
            run_env[prefix + 'ENDPOINT'] = env['MLFLOW_S3_ENDPOINT_URL']
        if env.get('AWS_CA_BUNDLE'):
            flags += ['--ca-cert', env['AWS_CA_BUNDLE']]
        if env.get('MLFLOW_S3_IGNORE_TLS', '').lower() == 'true':
            flags += ['--no-check-certificate']
    return run_env, flags


def bucket_of(env):
    """The bucket and prefix of the artifact destination (s3://bucket/prefix or gs://...)."""
    parsed = urllib.parse.urlsplit(env['FILAMENT_BACKUP_ARTIFACT_URI'])
    if parsed.scheme not in ('s3', 'gs') or not parsed.netloc:
        raise BackupError('FILAMENT_BACKUP_ARTIFACT_URI must be s3://bucket or gs://bucket')
    return (parsed.netloc + parsed.path).rstrip('/')


# --- running tools -------------------------------------------------------------------------------

def run(step, command, env=None, stdin=None, stdout=None, secrets=()):
    """Run one tool; on failure raise BackupError naming the step, with the tool's last words
    (secrets taken out)."""
    done = subprocess.run(command, env=env, stdin=stdin, stdout=stdout if stdout is not None else subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        said = (done.stderr or b'').decode('utf-8', 'replace').strip().splitlines()[-3:]
        message = ' / '.join(said) or 'exit code %d' % done.returncode
        for secret in secrets:
            if secret:
                message = message.replace(secret, '<secret>')
        raise BackupError('%s failed (%s exited %d): %s' % (step, command[0], done.returncode, message))
    return done


def sha256_of(path, chunk=1024 * 1024):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


# --- the manifest --------------------------------------------------------------------------------

def table_digest_sql(database, table, columns):
    """One statement that reads a table's row count and an order-independent digest of its rows,
    computed by the server (every column quoted, NULL as NULL; 64 bits of each row's sha256, xored)."""
    quoted = ', '.join('QUOTE(`%s`)' % column.replace('`', '``') for column in columns)
    return ("SELECT COUNT(*), COALESCE(BIT_XOR(CAST(CONV(LEFT(SHA2(CONCAT_WS(0x1f, %s), 256), 16), 16, 10) "
            "AS UNSIGNED)), 0) FROM `%s`.`%s`" % (quoted, database.replace('`', '``'), table.replace('`', '``')))


def database_manifest(db):
    """The runs, experiments and table digests of the MLflow database, read in one consistent
    snapshot."""
    import pymysql

    connection = pymysql.connect(host=db['host'], port=db['port'], user=db['user'], password=db['password'],
                                 database=db['database'], charset='utf8mb4', connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ')
            cursor.execute('START TRANSACTION WITH CONSISTENT SNAPSHOT')
            cursor.execute("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
                           "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION", (db['database'],))
            columns = {}
            for table, column in cursor.fetchall():
                columns.setdefault(table, []).append(column)
            cursor.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                           "AND TABLE_TYPE = 'BASE TABLE'", (db['database'],))
            base_tables = sorted(row[0] for row in cursor.fetchall())
            tables = {}
            for table in base_tables:
                cursor.execute(table_digest_sql(db['database'], table, columns[table]))
                rows, digest = cursor.fetchone()
                tables[table] = {'rows': int(rows), 'digest': '%016x' % int(digest)}
            found = {'tables': tables, 'schema': None, 'experiments': {}, 'runs': {}}
            if 'alembic_version' in tables:
                cursor.execute('SELECT version_num FROM alembic_version')
                row = cursor.fetchone()
                found['schema'] = row[0] if row else None
            if 'experiments' in tables:
                cursor.execute('SELECT experiment_id, name, lifecycle_stage FROM experiments')
                found['experiments'] = {str(row[0]): {'name': row[1], 'lifecycle_stage': row[2]}
                                        for row in cursor.fetchall()}
            if 'runs' in tables:
                cursor.execute('SELECT run_uuid, experiment_id, status, lifecycle_stage FROM runs')
                found['runs'] = {row[0]: {'experiment_id': str(row[1]), 'status': row[2], 'lifecycle_stage': row[3]}
                                 for row in cursor.fetchall()}
            connection.rollback()
            return found
    finally:
        connection.close()


def artifacts_manifest(root, cache=None):
    """Every file under root: its key (path relative to root), size and sha256. cache maps
    key -> [size, mtime_ns, sha256] of an earlier run, so unchanged files are not read again."""
    cache = cache or {}
    found = {}
    for directory, _subdirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root).replace(os.sep, '/')
            stat = os.stat(path)
            known = cache.get(key)
            if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
                digest = known[2]
            else:
                digest = sha256_of(path)
            found[key] = {'size': stat.st_size, 'sha256': digest, 'mtime_ns': stat.st_mtime_ns}
    return found


def tables_differ(wanted, found):
    """The tables of wanted (name: rows and digest) that found lacks or has different."""
    return sorted(name for name, table in wanted.items() if found.get(name) != table)


def manifest_problems(wanted, database, artifacts):
    """What a restored stack lacks or has different from the manifest, as sentences (empty when it
    matches). Table digests are compared when the manifest says they match the dump exactly."""
    problems = []
    missing_runs = sorted(set(wanted['database']['runs']) - set(database['runs']))
    if missing_runs:
        problems.append('%d runs of the backup are missing (%s)' % (len(missing_runs), ', '.join(missing_runs[:5])))
    missing_experiments = sorted(set(wanted['database']['experiments']) - set(database['experiments']))
    if missing_experiments:
        problems.append('%d experiments of the backup are missing (%s)'
                        % (len(missing_experiments), ', '.join(missing_experiments[:5])))
    if wanted['database'].get('tables_exact'):
        differ = tables_differ(wanted['database']['tables'], database['tables'])
        if differ:
            problems.append('tables differ from the backup: %s' % ', '.join(differ))
    for key, item in sorted(wanted['artifacts'].items()):
        have = artifacts.get(key)
        if have is None:
            problems.append('artifact %s is missing' % key)
        elif have['size'] != item['size'] or ('sha256' in have and have['sha256'] != item['sha256']):
            problems.append('artifact %s differs from the backup' % key)
        if len(problems) > 20:
            break
    return problems


# --- the commands --------------------------------------------------------------------------------

class Stack:
    """The service as the environment files describe it, and the tools run against it."""

    def __init__(self, env):
        self.env = env
        self.db = parse_store_uri(env.get('MLFLOW_BACKEND_STORE_URI', ''))
        # MLflow's auth database (server_auth: mlflow) is on the same server, for the same account.
        auth = env.get('FILAMENT_BACKUP_AUTH_DATABASE', '')
        self.auth_db = dict(self.db, database=auth) if auth and auth != self.db['database'] else None
        self.bucket = bucket_of(env)
        self.staging = env.get('FILAMENT_BACKUP_STAGING_DIR', '/var/lib/mlflow-backup/staging')
        self.state = env.get('FILAMENT_BACKUP_STATE_DIR', '/var/lib/mlflow-backup')
        self.host = env.get('FILAMENT_BACKUP_HOST') or os.uname().nodename
        self.secrets = [self.db['password'], env.get('AWS_SECRET_ACCESS_KEY', ''),
                        env.get('FILAMENT_BACKUP_S3_SECRET_KEY', '')]

    # restic; a repository another host has locked (its backup or prune) is waited for.
    def restic(self, step, *args, stdout=None):
        base, run_env = restic_base(self.env)
        for attempt in range(LOCK_ATTEMPTS):
            try:
                return run(step, base + list(args), env=run_env, stdout=stdout, secrets=self.secrets)
            except BackupError as exc:
                if 'already locked' not in str(exc) or attempt == LOCK_ATTEMPTS - 1:
                    raise
                time.sleep(LOCK_WAIT)
        raise AssertionError('unreachable')

    def restic_json(self, step, *args):
        lines = self.restic(step, *args, '--json').stdout.decode('utf-8').splitlines()
        return [json.loads(line) for line in lines if line.startswith(('{', '['))]

    # rclone
    def rclone(self, step, *args):
        run_env, flags = rclone_env(self.env)
        return run(step, ['rclone'] + flags + list(args), env=run_env, secrets=self.secrets)

    # the database client's password goes in its environment, never on its command line
    def db_env(self):
        return dict(os.environ, MYSQL_PWD=self.db['password'])

    def db_args(self):
        return ['--host=%s' % self.db['host'], '--port=%d' % self.db['port'], '--user=%s' % self.db['user']]

    def dump(self, db, path):
        """mysqldump of one database to path, written under another name and renamed when complete."""
        partial = path + '.partial'
        run('dumping the database %s' % db['database'],
            ['mysqldump', '--single-transaction', '--routines', '--triggers', '--events', '--no-tablespaces',
             '--skip-lock-tables', '--hex-blob', '--default-character-set=utf8mb4', '--skip-dump-date']
            + self.db_args() + ['--result-file=%s' % partial, db['database']],
            env=self.db_env(), secrets=self.secrets)
        os.replace(partial, path)

    def auth_present(self):
        """Whether the auth database is configured and exists on the server."""
        if not self.auth_db:
            return False
        import pymysql

        connection = pymysql.connect(host=self.db['host'], port=self.db['port'], user=self.db['user'],
                                     password=self.db['password'], charset='utf8mb4', connect_timeout=10)
        try:
            with connection.cursor() as cursor:
                cursor.execute('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s',
                               (self.auth_db['database'],))
                return cursor.fetchone() is not None
        finally:
            connection.close()


def record_repository(stack):
    """The repository this host's backups go to, for the role's re-run check."""
    with open(os.path.join(stack.state, 'repository'), 'w', encoding='utf-8') as handle:
        handle.write(stack.env['FILAMENT_BACKUP_REPOSITORY'] + '\n')


def command_init(stack, _args):
    base, run_env = restic_base(stack.env)
    probe = subprocess.run(base + ['cat', 'config'], env=run_env, capture_output=True, check=False)
    if probe.returncode == 0:
        record_repository(stack)
        return {'changed': False, 'repository': 'exists'}
    said = probe.stderr.decode('utf-8', 'replace')
    if 'wrong password' in said:
        raise BackupError('a restic repository is already at %s and server_backup_password does not open it: '
                          'give the password it was made with, or another server_backup_repository'
                          % stack.env['FILAMENT_BACKUP_REPOSITORY'])
    # restic says so when the place answers but holds no repository; anything else is a failure.
    if not any(marker in said for marker in ('does not exist', 'Is there a repository', 'no such file',
                                             'NoSuchBucket', 'config: not found', 'Not Found')):
        raise BackupError('reading the restic repository failed: %s'
                          % ' / '.join(said.strip().splitlines()[-3:]))
    base, run_env = restic_base(stack.env)
    made = subprocess.run(base + ['init', '--repository-version', '2'], env=run_env, capture_output=True, check=False)
    if made.returncode != 0:
        # Another host of the site may have made it a moment ago: what counts is that it is there now.
        stack.restic('creating the restic repository', 'cat', 'config')
        record_repository(stack)
        return {'changed': False, 'repository': 'exists'}
    record_repository(stack)
    return {'changed': True, 'repository': 'created'}


def command_backup(stack, _args):
    started = time.time()
    os.makedirs(os.path.join(stack.staging, 'database'), exist_ok=True)
    os.makedirs(os.path.join(stack.staging, 'artifacts'), exist_ok=True)
    before = database_manifest(stack.db)
    dump = os.path.join(stack.staging, 'database', '%s.sql' % stack.db['database'])
    stack.dump(stack.db, dump)
    after = database_manifest(stack.db)

    auth = None
    auth_dump = os.path.join(stack.staging, 'database', '%s.sql' % stack.auth_db['database']) if stack.auth_db else None
    if stack.auth_present():
        auth_before = database_manifest(stack.auth_db)
        stack.dump(stack.auth_db, auth_dump)
        auth_after = database_manifest(stack.auth_db)
        auth = {'database_name': stack.auth_db['database'], 'dump': os.path.basename(auth_dump),
                'database': {'tables': auth_after['tables'], 'tables_exact': auth_before['tables'] == auth_after['tables']}}
    elif auth_dump and os.path.exists(auth_dump):
        os.unlink(auth_dump)  # the auth database is gone: its old dump must not be staged again

    stack.rclone('mirroring the artifact bucket', 'sync', '--fast-list', '%s:%s' % (REMOTE, stack.bucket),
                 os.path.join(stack.staging, 'artifacts'))
    cache_path = os.path.join(stack.state, 'artifact-sha256.json')
    try:
        with open(cache_path, encoding='utf-8') as handle:
            cache = json.load(handle)
    except (OSError, ValueError):
        cache = {}
    artifacts = artifacts_manifest(os.path.join(stack.staging, 'artifacts'), cache)
    with open(cache_path + '.new', 'w', encoding='utf-8') as handle:
        json.dump({key: [item['size'], item['mtime_ns'], item['sha256']] for key, item in artifacts.items()}, handle)
    os.replace(cache_path + '.new', cache_path)

    database = dict(after, tables_exact=before['tables'] == after['tables'])
    manifest = {'format': FORMAT, 'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(started)),
                'host': stack.host, 'database_name': stack.db['database'], 'dump': os.path.basename(dump),
                'database': database,
                'artifacts': {key: {'size': item['size'], 'sha256': item['sha256']} for key, item in artifacts.items()}}
    if auth:
        manifest['auth'] = auth
    with open(os.path.join(stack.staging, 'manifest.json'), 'w', encoding='utf-8') as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)

    written = stack.restic_json('writing the snapshot', 'backup', '--host', stack.host, '--tag', TAG, stack.staging)
    summary = [item for item in written if item.get('message_type') == 'summary']
    if not summary or not summary[-1].get('snapshot_id'):
        raise BackupError('writing the snapshot failed: restic reported no snapshot')
    snapshot = summary[-1]['snapshot_id']
    verify_snapshot(stack, snapshot)

    stack.restic('forgetting snapshots outside the retention', 'forget', '--host', stack.host, '--tag', TAG,
                 *retention_args(stack.env), '--prune')
    subset = stack.env.get('FILAMENT_BACKUP_READ_DATA_SUBSET', '10%')
    stack.restic('checking the repository', 'check', *(['--read-data-subset', subset] if subset else []))

    finished = time.time()
    result = {'snapshot': snapshot, 'seconds': round(finished - started, 1),
              'runs': len(database['runs']), 'experiments': len(database['experiments']),
              'artifacts': len(artifacts), 'artifact_bytes': sum(item['size'] for item in artifacts.values()),
              'dump_bytes': os.path.getsize(dump), 'tables_exact': database['tables_exact'],
              'auth_tables': len(auth['database']['tables']) if auth else None,
              'data_added': summary[-1].get('data_added'),
              'total_bytes_processed': summary[-1].get('total_bytes_processed')}
    write_success(stack.state, finished, result)
    return result


def verify_snapshot(stack, snapshot):
    """The snapshot restic just wrote lists every staged file with its size, and its manifest reads
    back byte for byte."""
    listed = {}
    for node in stack.restic_json('listing the new snapshot', 'ls', snapshot):
        if node.get('type') == 'file' and node.get('path'):
            listed[node['path']] = node.get('size')
    staged = {}
    for directory, _subdirs, names in os.walk(stack.staging):
        for name in names:
            path = os.path.join(directory, name)
            staged[path] = os.path.getsize(path)
    if listed != staged:
        differ = sorted(set(listed.items()) ^ set(staged.items()))[:5]
        raise BackupError('verifying the snapshot failed: %s holds other files than were staged (%s)'
                          % (snapshot, ', '.join(str(item[0]) for item in differ)))
    manifest = os.path.join(stack.staging, 'manifest.json')
    read_back = stack.restic('reading the manifest back', 'dump', snapshot, manifest).stdout
    with open(manifest, 'rb') as handle:
        if handle.read() != read_back:
            raise BackupError('verifying the snapshot failed: its manifest reads back different')


def retention_args(env):
    """restic forget's rules: the last FILAMENT_BACKUP_KEEP_LAST snapshots, and every snapshot within
    FILAMENT_BACKUP_KEEP_WITHIN (no age rule where that is empty); a snapshot either keeps stays."""
    args = ['--keep-last', env.get('FILAMENT_BACKUP_KEEP_LAST', '14')]
    within = env.get('FILAMENT_BACKUP_KEEP_WITHIN', '30d')
    return args + (['--keep-within', within] if within else [])


def write_success(state, when, result):
    """The last success, for people (last-success.json) and for Prometheus's textfile format."""
    with open(os.path.join(state, 'last-success.json.new'), 'w', encoding='utf-8') as handle:
        json.dump(dict(result, finished=when), handle)
    os.replace(os.path.join(state, 'last-success.json.new'), os.path.join(state, 'last-success.json'))
    metrics = ('# HELP filament_mlflow_backup_last_success_timestamp_seconds End of the last successful backup.\n'
               '# TYPE filament_mlflow_backup_last_success_timestamp_seconds gauge\n'
               'filament_mlflow_backup_last_success_timestamp_seconds %d\n'
               '# HELP filament_mlflow_backup_last_duration_seconds Duration of the last successful backup.\n'
               '# TYPE filament_mlflow_backup_last_duration_seconds gauge\n'
               'filament_mlflow_backup_last_duration_seconds %s\n'
               '# HELP filament_mlflow_backup_last_artifact_bytes Artifact bytes in the last successful backup.\n'
               '# TYPE filament_mlflow_backup_last_artifact_bytes gauge\n'
               'filament_mlflow_backup_last_artifact_bytes %d\n'
               % (int(when), result['seconds'], result['artifact_bytes']))
    with open(os.path.join(state, 'backup.prom.new'), 'w', encoding='utf-8') as handle:
        handle.write(metrics)
    os.replace(os.path.join(state, 'backup.prom.new'), os.path.join(state, 'backup.prom'))


def command_snapshots(stack, _args):
    found = stack.restic_json('listing the snapshots', 'snapshots', '--tag', TAG)
    items = found[0] if found and isinstance(found[0], list) else found
    return {'snapshots': [{'id': item.get('short_id') or item.get('id', '')[:8], 'time': item.get('time'),
                           'host': item.get('hostname')} for item in items]}


def database_holds_runs(stack):
    import pymysql

    connection = pymysql.connect(host=stack.db['host'], port=stack.db['port'], user=stack.db['user'],
                                 password=stack.db['password'], database=stack.db['database'], charset='utf8mb4')
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                           "AND TABLE_NAME = 'runs'", (stack.db['database'],))
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute('SELECT COUNT(*) FROM runs')
            return int(cursor.fetchone()[0])
    finally:
        connection.close()


def empty_database(stack, db=None):
    """Drop every table and view of a database, the MLflow one by default (the dump creates them again)."""
    import pymysql

    db = db or stack.db
    connection = pymysql.connect(host=db['host'], port=db['port'], user=db['user'],
                                 password=db['password'], database=db['database'], charset='utf8mb4')
    try:
        with connection.cursor() as cursor:
            cursor.execute('SET FOREIGN_KEY_CHECKS = 0')
            cursor.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                           (db['database'],))
            for name, kind in cursor.fetchall():
                cursor.execute('DROP %s IF EXISTS `%s`' % ('VIEW' if kind == 'VIEW' else 'TABLE', name.replace('`', '``')))
    finally:
        connection.close()


# The account that made a trigger or routine, as mysqldump writes it: loaded as it is, it would
# need a privilege the MLflow account lacks wherever that account's host differs (another host).
DEFINER = re.compile(rb'/\*!50017 DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`\s*\*/ ?|DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*` ?')


def without_definers(lines):
    """The dump's lines with DEFINER clauses taken out: what they create belongs to the loader.
    Rows (INSERT lines) are left as they are, whatever text they hold."""
    for line in lines:
        yield DEFINER.sub(b'', line) if b'DEFINER=' in line and not line.startswith(b'INSERT INTO') else line


def load_dump(stack, path, db=None):
    """Load a dump into a database (the MLflow one by default) through the mysql client, streamed."""
    command = ['mysql', '--default-character-set=utf8mb4'] + stack.db_args() + [(db or stack.db)['database']]
    with open(path, 'rb') as dump, subprocess.Popen(command, env=stack.db_env(), stdin=subprocess.PIPE,
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as loader:
        try:
            for line in without_definers(dump):
                loader.stdin.write(line)
            loader.stdin.close()
        except BrokenPipeError:
            pass
        said = loader.stderr.read().decode('utf-8', 'replace').strip().splitlines()[-3:]
        if loader.wait() != 0:
            message = ' / '.join(said)
            for secret in stack.secrets:
                if secret:
                    message = message.replace(secret, '<secret>')
            raise BackupError('loading the database failed (mysql exited %d): %s' % (loader.returncode, message))


def command_restore(stack, args):
    started = time.time()
    held = database_holds_runs(stack)
    if held and not args.overwrite:
        raise BackupError('the database already holds %d runs: restoring would replace them. Restore onto a '
                          'new stack, or say so (restore_overwrite=true / --overwrite)' % held)
    snapshot = args.snapshot or 'latest'
    found = [item for item in command_snapshots(stack, args)['snapshots']
             if snapshot == 'latest' or item['id'] == snapshot[:8]]
    if not found:
        raise BackupError('the repository has no snapshot %s (filament-mlflow-backup snapshots lists them)' % snapshot)
    if args.plan:
        return {'snapshot': found[-1]['id'], 'time': found[-1]['time'], 'host': found[-1]['host'], 'runs_now': held}
    target = tempfile.mkdtemp(prefix='restore-', dir=stack.state)
    try:
        stack.restic('restoring the snapshot', 'restore', snapshot, '--tag', TAG, '--target', target, '--verify')
        roots = [os.path.join(directory, name) for directory, _subdirs, names in os.walk(target)
                 for name in names if name == 'manifest.json']
        if len(roots) != 1:
            raise BackupError('the snapshot %s holds no manifest.json: not a backup of this tool' % snapshot)
        root = os.path.dirname(roots[0])
        with open(roots[0], encoding='utf-8') as handle:
            manifest = json.load(handle)
        restored = artifacts_manifest(os.path.join(root, 'artifacts'))
        problems = manifest_problems({'database': {'runs': {}, 'experiments': {}, 'tables': {}},
                                      'artifacts': manifest['artifacts']}, {'runs': {}, 'experiments': {},
                                                                            'tables': {}}, restored)
        if problems:
            raise BackupError('the restored files differ from the manifest: %s' % '; '.join(problems))

        empty_database(stack)
        load_dump(stack, os.path.join(root, 'database', manifest['dump']))
        # MLflow's users and permissions, with the experiments they name (a backup from before
        # there was an auth part, or a stack without the auth database, has none to restore).
        auth = manifest.get('auth') if stack.auth_present() else None
        if auth:
            empty_database(stack, stack.auth_db)
            load_dump(stack, os.path.join(root, 'database', auth['dump']), stack.auth_db)
        stack.rclone('copying the artifacts into the bucket', 'copy', os.path.join(root, 'artifacts'),
                     '%s:%s' % (REMOTE, stack.bucket))
        stack.rclone('checking the artifacts in the bucket', 'check', '--one-way', os.path.join(root, 'artifacts'),
                     '%s:%s' % (REMOTE, stack.bucket))
        database = database_manifest(stack.db)
        problems = manifest_problems(manifest, database, restored)
        if auth and auth['database']['tables_exact']:
            differ = tables_differ(auth['database']['tables'], database_manifest(stack.auth_db)['tables'])
            if differ:
                problems.append('tables of the auth database differ from the backup: %s' % ', '.join(differ))
        if problems:
            raise BackupError('the restored stack differs from the backup: %s' % '; '.join(problems))
        return {'snapshot': snapshot, 'created': manifest['created'], 'seconds': round(time.time() - started, 1),
                'runs': len(database['runs']), 'experiments': len(database['experiments']),
                'artifacts': len(restored), 'replaced_runs': held, 'schema': database['schema'],
                'auth_tables': len(auth['database']['tables']) if auth else None}
    finally:
        shutil.rmtree(target, ignore_errors=True)


def command_manifest(stack, args):
    """The live stack's manifest (what the test compares before a backup and after a restore);
    --download reads every artifact to give its sha256."""
    database = database_manifest(stack.db)
    run_env, flags = rclone_env(stack.env)
    remote = '%s:%s' % (REMOTE, stack.bucket)
    listing = run('listing the bucket', ['rclone'] + flags + ['lsjson', '-R', '--files-only', '--fast-list', remote],
                  env=run_env, secrets=stack.secrets).stdout
    artifacts = {item['Path']: {'size': item['Size']} for item in json.loads(listing or b'[]')}
    if args.download:
        sums = run('hashing the bucket', ['rclone'] + flags + ['hashsum', 'sha256', '--download', remote],
                   env=run_env, secrets=stack.secrets).stdout.decode('utf-8')
        for line in sums.splitlines():
            digest, _space, key = line.partition('  ')
            if key in artifacts:
                artifacts[key]['sha256'] = digest
    found = {'database': database, 'artifacts': artifacts}
    if stack.auth_present():
        found['auth'] = database_manifest(stack.auth_db)['tables']
    return found


COMMANDS = {'init': command_init, 'backup': command_backup, 'snapshots': command_snapshots,
            'restore': command_restore, 'manifest': command_manifest}


def main(argv=None):
    parser = argparse.ArgumentParser(prog='filament-mlflow-backup', description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--env-file', action='append', default=[], help='environment file, read in order')
    parser.add_argument('command', choices=sorted(COMMANDS))
    parser.add_argument('--snapshot', default='', help='restore: the snapshot id (default: the latest)')
    parser.add_argument('--overwrite', action='store_true', help='restore: replace a database that holds runs')
    parser.add_argument('--plan', action='store_true', help='restore: check and say what it would do, change nothing')
    parser.add_argument('--download', action='store_true', help='manifest: hash every artifact')
    args = parser.parse_args(argv)
    env = {}
    try:
        for path in args.env_file:
            with open(path, encoding='utf-8') as handle:
                env.update(parse_env_file(handle.read()))
        env.update({name: value for name, value in os.environ.items() if name.startswith('FILAMENT_BACKUP_')})
        result = COMMANDS[args.command](Stack(env), args)
    except BackupError as exc:
        print('filament-mlflow-backup %s: %s' % (args.command, exc), file=sys.stderr)
        return 1
    except (OSError, KeyError) as exc:
        print('filament-mlflow-backup %s: %s: %s' % (args.command, type(exc).__name__, exc), file=sys.stderr)
        return 1
    except Exception as exc:  # the database driver's errors name the host and user, never the password
        if type(exc).__module__.startswith('pymysql'):
            print('filament-mlflow-backup %s: the database answered: %s' % (args.command, exc), file=sys.stderr)
            return 1
        raise
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
