"""Look for the stack's secrets where nobody but root and the services may find them.

    python secrets_audit.py --host NAME --secrets-dir DIR [--secret-env VAR ...] [--output FILE ...]

The secrets are the files of --secrets-dir (the inventory's generated credentials; certificates
left out) and the values of the --secret-env variables, each at least 8 characters. On the host
(a container the scenario started, read with `docker exec`) none of them may be
  - in the journal (every unit, every boot),
  - in the command line of any process,
  - in Caddy's access log,
  - in a file that the unprivileged user `nobody` can read (the whole file system but /proc and
    /sys: a file readable by a user other than root and the service);
and none may be in the --output files (ansible-playbook -vvv output, kept by the caller).
The files that hold a secret and only root and a service can read are listed, with their owner and
mode, for the record. Prints a JSON report (places only, never a secret) and exits 1 on a finding.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

READ_ROOTS = ('/etc', '/opt', '/var', '/srv', '/root', '/home', '/tmp', '/run', '/usr/local')
CADDY_LOG = '/var/log/caddy'
# Every process's command line, one per line.
CMDLINES = "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < \"$f\"; echo; done 2>/dev/null"


def docker(host, *argv, stdin=None, user=None):
    command = ['docker', 'exec', '-i'] + (['--user', user] if user else []) + [host] + list(argv)
    return subprocess.run(command, input=stdin, capture_output=True, check=False)


def load_secrets(directory, env_names):
    secrets = {}
    if directory:
        for path in sorted(pathlib.Path(directory).iterdir()):
            if path.is_file() and not path.name.endswith('.crt'):
                secrets[path.name] = path.read_text().strip()
    for name in env_names or []:
        secrets[name] = os.environ.get(name, '')
    return {name: value for name, value in secrets.items() if len(value) >= 8}


def found_in(text, secrets):
    """The names of the secrets text holds."""
    return sorted(name for name, value in secrets.items() if value.encode() in text)


def files_with_secrets(host, patterns, user=None):
    """The files under READ_ROOTS that hold one of the patterns, as user (or root) can read them."""
    # -F fixed strings from stdin, -l names only, -s no messages for unreadable files; grep exits 1 when
    # nothing matches. /proc, /sys and the databases' own files stay out: MariaDB keeps hashes, not
    # passwords, and MinIO keeps its users encrypted with the root key.
    # Installed packages (site-packages, byte code, downloaded .debs) hold no secret of the stack.
    argv = ['grep', '-rlsF', '-f', '-', '--exclude-dir=proc', '--exclude-dir=sys', '--exclude-dir=site-packages',
            '--exclude-dir=__pycache__', '--exclude-dir=archives', *READ_ROOTS]
    done = docker(host, *argv, stdin=patterns, user=user)
    if done.returncode not in (0, 1, 2):
        raise RuntimeError('grep on %s failed: %s' % (host, done.stderr.decode(errors='replace')[-400:]))
    return [line for line in done.stdout.decode(errors='replace').splitlines() if line]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', action='append', required=True)
    parser.add_argument('--secrets-dir')
    parser.add_argument('--secret-env', action='append', help='an environment variable holding a secret')
    parser.add_argument('--output', action='append', default=[], help='ansible-playbook output to search')
    args = parser.parse_args()

    secrets = load_secrets(args.secrets_dir, args.secret_env)
    if not secrets:
        print(json.dumps({'error': 'no secrets to look for'}))
        return 1
    # grep takes one pattern per line: a secret of several lines (a JSON key file) is looked for
    # whole in the texts above, and in files by the one-line secrets a scenario adds for it.
    patterns = '\n'.join(value for value in secrets.values() if '\n' not in value).encode() + b'\n'
    report = {'secrets': sorted(secrets), 'findings': [], 'held_by': {}}

    for output in args.output:
        names = found_in(pathlib.Path(output).read_bytes(), secrets)
        if names:
            report['findings'].append({'where': 'playbook output %s' % os.path.basename(output), 'secrets': names})

    for host in args.host:
        journal = docker(host, 'journalctl', '--no-pager', '-o', 'cat').stdout
        if not journal:
            report['findings'].append({'where': '%s: the journal could not be read' % host, 'secrets': []})
        places = {
            'journal': journal,
            'process command lines': docker(host, 'sh', '-c', CMDLINES).stdout,
            "Caddy's access log": docker(host, 'sh', '-c', 'cat %s/*.log 2>/dev/null || true' % CADDY_LOG).stdout,
        }
        for where, text in places.items():
            names = found_in(text, secrets)
            if names:
                report['findings'].append({'where': '%s: %s' % (host, where), 'secrets': names})
        report.setdefault('sizes', {})[host] = {where: len(text) for where, text in places.items()}

        if not patterns.strip():
            continue
        for path in files_with_secrets(host, patterns, user='nobody'):
            report['findings'].append({'where': '%s: %s, readable by nobody' % (host, path), 'secrets': []})
        held = files_with_secrets(host, patterns)
        if held:
            stats = docker(host, 'stat', '-c', '%n %U:%G %a', *held).stdout.decode(errors='replace').splitlines()
            report['held_by'][host] = stats

    print(json.dumps(report, indent=1, sort_keys=True))
    return 1 if report['findings'] else 0


if __name__ == '__main__':
    sys.exit(main())
