#!/usr/bin/env bash
# The molecule scenarios, in the order their images need: `default` first (the scenarios after it
# start from an image of the host it converged; `gcs` from the bare host image), then two chains
# side by side, each scenario on its own hosts, ports and networks (the machine has two cores; the
# scenarios are bound by them, so the chains are balanced by measured time): cluster, gcs and
# options beside day2, recovery and bad_input (about 44 minutes each). The first chain writes to a
# log that is shown when it ends. Any failure fails the run.
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
chain default || exit 1
log=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX")
chain cluster gcs options >"$log" 2>&1 &
beside=$!
chain day2 recovery bad_input; ours=$?
wait "$beside"; theirs=$?
echo "=== cluster, gcs and options, run beside day2, recovery and bad_input:"
cat "$log"; rm -f "$log"
[ "$ours" -eq 0 ] && [ "$theirs" -eq 0 ] || exit 1
echo "=== every scenario passed in $((SECONDS - start)) s"
