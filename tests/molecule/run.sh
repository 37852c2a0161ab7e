#!/usr/bin/env bash
# The molecule scenarios, in the order their images need, two at a time (the machine has two cores;
# most of a scenario's time is spent waiting on its hosts), each scenario on its own hosts, ports
# and networks:
#   1. `default` beside `gcs`, which starts from the bare host image as `default` does;
#   2. from the image of the host `default` converged: cluster and bad_input, beside day2, recovery
#      and options (about 41 minutes each, measured side by side).
# What runs beside is logged to a file that is shown when it ends. Any failure fails the run.
#   tests/molecule/run.sh             every scenario
#   tests/molecule/run.sh NAME ...    only these, one after the other
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
MOLECULE=${MOLECULE:-.venv/bin/molecule}
SCENARIOS=(default gcs recovery bad_input options day2 cluster)

listed=$(printf '%s\n' "${SCENARIOS[@]}" | sort | xargs)
present=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | cut -d/ -f2 | sort | xargs)
[ "$listed" = "$present" ] || { echo "tests/molecule/run.sh must list every scenario under molecule/ ($present)"; exit 1; }

chain() {
  for s in "$@"; do
    echo "=== molecule test -s $s ($(date +%T))"
    "$MOLECULE" test -s "$s" || { echo "=== $s failed"; return 1; }
  done
}

if [ $# -gt 0 ]; then chain "$@"; exit $?; fi

start=$SECONDS
# beside NAME... : run a chain in the background, its output to a log; `shown` prints the log.
beside() { besidelog=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX"); chain "$@" >"$besidelog" 2>&1 & besidepid=$!; }
shown() { wait "$besidepid"; local rc=$?; echo "=== $1, run beside $2:"; cat "$besidelog"; rm -f "$besidelog"; return $rc; }

beside gcs
chain default; ours=$?
shown gcs default; theirs=$?
[ "$ours" -eq 0 ] || exit 1

beside cluster bad_input
chain day2 recovery options; ours=$?
shown "cluster and bad_input" "day2, recovery and options"; again=$?
[ "$ours" -eq 0 ] && [ "$theirs" -eq 0 ] && [ "$again" -eq 0 ] || exit 1
echo "=== every scenario passed in $((SECONDS - start)) s"
