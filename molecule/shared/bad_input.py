"""Run playbooks/site.yml with each bad input of a case file against a converged stack.

    python bad_input.py --cases CASES.yml --inventory INVENTORY --playbook site.yml \
        --host NAME [--host NAME ...] [--secrets-dir DIR] [--jobs N]

Each case is a set of extra variables (-e, as a user would pass them). A case passes when the run
  - fails (non-zero exit),
  - reports changed=0 for every host in its recap,
  - prints the expected message (the variable's name; with `host: true` the host's too),
  - prints none of the stack's secrets (the files in --secrets-dir, and the case's own `secret`),
  - and leaves the MainPID of every service on every host as it was.
The services are read with `docker exec HOST systemctl show`: the hosts are the scenario's containers.
Prints one line per case and a summary; exits 1 when any case fails.
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

SERVICES = ('mariadb', 'minio', 'mlflow', 'caddy')
ANSI = re.compile(r'\x1b\[[0-9;]*m')
RECAP = re.compile(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s', re.M)


def main_pids(hosts):
    pids = {}
    for host in hosts:
        out = subprocess.run(
            ['docker', 'exec', host, 'systemctl', 'show', '--property=Id,MainPID', *SERVICES],
            check=True, capture_output=True, text=True).stdout
        for block in out.strip().split('\n\n'):
            fields = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
            pids['%s/%s' % (host, fields.get('Id'))] = fields.get('MainPID')
    return pids


def run_case(case, args, secrets):
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
        json.dump(case['vars'], handle)
        extra = handle.name
    started = time.monotonic()
    # Plain text, whatever the caller's settings (molecule forces colours): the recap is parsed.
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    # The host's facts, gathered by the first cases, are read from a cache by the others: each case
    # changes only the variables, never the host.
    env.update(ANSIBLE_GATHERING='smart', ANSIBLE_CACHE_PLUGIN='ansible.builtin.jsonfile',
               ANSIBLE_CACHE_PLUGIN_CONNECTION=args.fact_cache)
    try:
        result = subprocess.run(
            ['ansible-playbook', '-i', args.inventory, args.playbook, '-e', '@' + extra],
            capture_output=True, text=True, check=False, timeout=args.timeout, env=env)
    finally:
        os.unlink(extra)
    output = ANSI.sub('', result.stdout + result.stderr)
    problems = []
    if result.returncode == 0:
        problems.append('the run succeeded')
    recap = dict(RECAP.findall(output))
    for host in args.host:
        if host in recap and recap[host] != '0':
            problems.append('changed=%s on %s' % (recap[host], host))
    if not recap:
        problems.append('no play recap')
    if 'PLAY [Deploy' in output:
        problems.append('a deploy play started')
    if case['expect'] not in output:
        problems.append('no message %r' % case['expect'])
    if case.get('host') and not any(('%s:' % host) in output for host in args.host):
        problems.append('the message names no host')
    for secret in secrets + ([case['secret']] if case.get('secret') else []):
        if secret in output:
            problems.append('a secret was printed')
            break
    message = next((line.strip() for line in output.splitlines() if case['expect'] in line), '')
    return problems, time.monotonic() - started, message, output


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cases', required=True)
    parser.add_argument('--inventory', required=True)
    parser.add_argument('--playbook', required=True)
    parser.add_argument('--host', action='append', required=True)
    parser.add_argument('--secrets-dir')
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--timeout', type=int, default=300)
    parser.add_argument('--log-dir', help='keep each case\'s output here')
    args = parser.parse_args()

    cases = yaml.safe_load(pathlib.Path(args.cases).read_text())['cases']
    secrets = []
    if args.secrets_dir:
        secrets = [p.read_text().strip() for p in sorted(pathlib.Path(args.secrets_dir).iterdir())
                   if p.is_file() and not p.name.endswith('.crt')]
        secrets = [s for s in secrets if len(s) >= 8]
    args.fact_cache = tempfile.mkdtemp(prefix='bad-input-facts-')
    before = main_pids(args.host)
    failed = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_case, case, args, secrets) for case in cases]
        for number, (case, future) in enumerate(zip(cases, futures), 1):
            problems, seconds, message, output = future.result()
            # Read after each case in turn: a service restarted by any case shows here.
            now = main_pids(args.host)
            moved = sorted(unit for unit in before if now.get(unit) != before[unit])
            if moved:
                problems.append('MainPID changed: %s' % ', '.join(moved))
                before = now
            if args.log_dir:
                pathlib.Path(args.log_dir).mkdir(parents=True, exist_ok=True)
                pathlib.Path(args.log_dir, '%02d.log' % number).write_text(output)
            verdict = 'ok  ' if not problems else 'FAIL'
            failed += bool(problems)
            said = '; '.join(problems) if problems else message[:160]
            print('%s %2d %5.1fs %s: %s' % (verdict, number, seconds, case['name'], said))
            sys.stdout.flush()
    print('%d of %d cases passed in %.0f s; every MainPID unchanged: %s'
          % (len(cases) - failed, len(cases), time.monotonic() - started,
             'yes' if not failed else 'see above'))
    shutil.rmtree(args.fact_cache, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
