# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration fixtures: a real MinIO and a real fake-gcs-server on loopback, and a runner that
puts the modules through ansible-playbook.

The servers are the binaries `harness/harness.sh binaries` builds (FILAMENT_MINIO_BINARY,
FILAMENT_FAKE_GCS_BINARY); each session starts its own on free ports with throwaway data
directories and random credentials, and stops them at the end.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore.config
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGETS = pathlib.Path(__file__).resolve().parent / 'targets'
CACHE_BIN = pathlib.Path(os.environ.get('FILAMENT_CACHE', pathlib.Path.home() / '.cache' / 'filament-mlflow')) / 'bin'
VENV_BIN = pathlib.Path(sys.executable).parent


def binary(variable, name):
    path = pathlib.Path(os.environ.get(variable) or CACHE_BIN / name)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail('%s not found at %s (set %s): run `harness/harness.sh binaries` to build it.'
                    % (name, path, variable), pytrace=False)
    return str(path)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_until(url, process, log, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail('%s exited with %s:\n%s' % (process.args[0], process.returncode, log.read_text()[-3000:]),
                        pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail('%s did not answer on %s within %ss:\n%s' % (process.args[0], url, timeout, log.read_text()[-3000:]),
                pytrace=False)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclasses.dataclass
class Minio:
    url: str
    access_key: str
    secret_key: str
    process: subprocess.Popen

    def client(self, **credentials):
        credentials = credentials or dict(aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)
        return boto3.session.Session().client(
            's3', endpoint_url=self.url, region_name='us-east-1',
            config=botocore.config.Config(s3={'addressing_style': 'path'}), **credentials)


def start_minio(tmp_dir, port=None, credentials=None):
    """Start a MinIO server; returns (Minio, log path). The caller waits for it and stops it."""
    port = port or free_port()
    data = tmp_dir / 'data'
    data.mkdir(parents=True)
    log = tmp_dir / 'minio.log'
    access_key, secret_key = credentials or ('root' + secrets.token_hex(6), secrets.token_urlsafe(24))
    env = dict(os.environ, MINIO_ROOT_USER=access_key, MINIO_ROOT_PASSWORD=secret_key, MINIO_BROWSER='off',
               MINIO_UPDATE='off', MINIO_CONFIG_ENV_FILE=str(tmp_dir / 'none.env'))
    with open(log, 'wb') as out:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [binary('FILAMENT_MINIO_BINARY', 'minio'), 'server', '--quiet', '--address', '127.0.0.1:%d' % port,
             str(data)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(tmp_dir))
    return Minio('http://127.0.0.1:%d' % port, access_key, secret_key, process), log


@pytest.fixture(scope='session')
def minio(tmp_path_factory):
    server, log = start_minio(tmp_path_factory.mktemp('minio'))
    try:
        wait_until(server.url + '/minio/health/ready', server.process, log)
        yield server
    finally:
        stop(server.process)


@dataclasses.dataclass
class Seaweedfs:
    url: str
    admin_key: str
    admin_secret: str
    mlflow_key: str
    mlflow_secret: str
    bucket: str
    process: subprocess.Popen

    def client(self, key=None, secret=None):
        return boto3.session.Session().client(
            's3', endpoint_url=self.url, region_name='us-east-1',
            aws_access_key_id=key or self.admin_key, aws_secret_access_key=secret or self.admin_secret,
            config=botocore.config.Config(s3={'addressing_style': 'path'}))


def free_port_pair():
    """A free port whose port plus 10000 (SeaweedFS's gRPC port for it) is free too."""
    for dummy in range(50):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(('127.0.0.1', port + 10000))
            except OSError:
                continue
        return port
    pytest.fail('no free pair of ports for SeaweedFS', pytrace=False)


@pytest.fixture(scope='session')
def seaweedfs(tmp_path_factory):
    """weed server (master, volume, filer, S3 gateway) as the seaweedfs role runs it, on free ports,
    with the role's two identities: the admin, and MLflow's key limited to its bucket."""
    tmp_dir = tmp_path_factory.mktemp('seaweedfs')
    (tmp_dir / 'data').mkdir()
    s3_port, master, volume, filer = (free_port_pair() for dummy in range(4))
    admin, mlflow, bucket = ('admin', secrets.token_urlsafe(24)), ('mlflow', secrets.token_urlsafe(24)), 'mlflow'
    config = tmp_dir / 's3.json'
    config.write_text(json.dumps({'identities': [
        {'name': 'admin', 'credentials': [{'accessKey': admin[0], 'secretKey': admin[1]}],
         'actions': ['Admin', 'Read', 'List', 'Tagging', 'Write']},
        {'name': 'mlflow', 'credentials': [{'accessKey': mlflow[0], 'secretKey': mlflow[1]}],
         'actions': ['%s:%s' % (action, bucket) for action in ('Read', 'List', 'Write', 'Tagging')]},
    ]}))
    config.chmod(0o600)
    log = tmp_dir / 'weed.log'
    with open(log, 'wb') as out:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [binary('FILAMENT_WEED_BINARY', 'weed'), 'server', '-dir=%s' % (tmp_dir / 'data'), '-ip=127.0.0.1',
             '-ip.bind=127.0.0.1', '-master.port=%d' % master, '-volume.port=%d' % volume, '-volume.max=0',
             '-filer', '-filer.port=%d' % filer, '-s3', '-s3.port=%d' % s3_port, '-s3.config=%s' % config,
             '-s3.port.iceberg=0', '-s3.port.lance=0'],
            stdout=out, stderr=subprocess.STDOUT, cwd=str(tmp_dir))
    url = 'http://127.0.0.1:%d' % s3_port
    server = Seaweedfs(url, admin[0], admin[1], mlflow[0], mlflow[1], bucket, process)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail('weed exited with %s:\n%s' % (process.returncode, log.read_text()[-3000:]), pytrace=False)
            try:
                server.client().create_bucket(Bucket=bucket)
                break
            except Exception:  # pylint: disable=broad-except
                if time.monotonic() > deadline:
                    pytest.fail('SeaweedFS did not make a bucket within 90 s:\n%s' % log.read_text()[-3000:],
                                pytrace=False)
                time.sleep(0.5)
        yield server
    finally:
        stop(process)


@dataclasses.dataclass
class FakeGcs:
    url: str
    process: subprocess.Popen

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage
        return storage.Client(project='test', credentials=AnonymousCredentials(),
                              client_options={'api_endpoint': self.url})


@pytest.fixture(scope='session')
def fake_gcs(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp('fake-gcs')
    (tmp_dir / 'seed').mkdir()
    port = free_port()
    url = 'http://127.0.0.1:%d' % port
    log = tmp_dir / 'fake-gcs.log'
    with open(log, 'wb') as out:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [binary('FILAMENT_FAKE_GCS_BINARY', 'fake-gcs-server'), '-scheme', 'http', '-host', '127.0.0.1',
             '-port', str(port), '-external-url', url, '-backend', 'memory', '-data', str(tmp_dir / 'seed'),
             '-log-level', 'warn'],
            stdout=out, stderr=subprocess.STDOUT, cwd=str(tmp_dir))
    try:
        wait_until(url + '/storage/v1/b', process, log)
        yield FakeGcs(url, process)
    finally:
        stop(process)


@dataclasses.dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    duration: float

    @property
    def output(self):
        return self.stdout + self.stderr

    @property
    def result(self):
        """The module task's result (the last task of the play), from the JSON callback."""
        report = json.loads(self.stdout)
        return report['plays'][-1]['tasks'][-1]['hosts']['localhost']


class Playbook:
    """Runs a playbook of tests/integration/targets through ansible-playbook on localhost."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.count = 0
        self.json_output = True

    def command(self, target, extra_vars, check=False, diff=False, verbosity=0, json_output=True):
        """The ansible-playbook command line of a run (run it with self.env)."""
        self.count += 1
        # Variables go through a file: a secret in argv would be visible to every user of the host.
        vars_file = self.tmp_path / ('vars-%d.json' % self.count)
        vars_file.write_text(json.dumps(extra_vars))
        vars_file.chmod(0o600)
        command = [str(VENV_BIN / 'ansible-playbook'), '-i', 'localhost,', str(TARGETS / target),
                   '-e', '@%s' % vars_file]
        command += ['--check'] * check + ['--diff'] * diff + (['-' + 'v' * verbosity] if verbosity else [])
        self.json_output = json_output
        return command

    @property
    def env(self):
        env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(TARGETS.parent / 'ansible.cfg'),
            ANSIBLE_COLLECTIONS_PATH=str(REPO / 'collections'),
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_STDOUT_CALLBACK='ansible.posix.json' if self.json_output else 'ansible.builtin.default',
            ANSIBLE_LOCAL_TEMP=str(self.tmp_path / 'ansible-local'),
            ANSIBLE_REMOTE_TEMP=str(self.tmp_path / 'ansible-remote'),
        )
        env.pop('STORAGE_EMULATOR_HOST', None)
        return env

    def __call__(self, target, extra_vars, check=False, diff=False, verbosity=0, json_output=True, timeout=300):
        command = self.command(target, extra_vars, check, diff, verbosity, json_output)
        env = self.env
        started = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False,
                              cwd=str(self.tmp_path))
        return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


@pytest.fixture
def playbook(tmp_path):
    return Playbook(tmp_path)


@pytest.fixture
def unique_name():
    """A bucket name no other test uses: prefix-<test number>-<random>."""
    counter = iter(range(1000))

    def make(prefix='it'):
        return '%s-%d-%s' % (prefix, next(counter), secrets.token_hex(4))
    return make
