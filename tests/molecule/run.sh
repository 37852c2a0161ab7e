#!/usr/bin/env bash
# The molecule scenarios, in the order their images need: `default` first. The scenarios after it
# start from an image of the host it converged (`stores` from the bare host images), which its
# converge keeps, labelled with this run's FILAMENT_RUN_ID: the two chains start as soon as that
# image is there, while the rest of `default` (its checks) runs beside them. Each scenario runs on
# its own hosts, ports and networks (the machine has two cores; the scenarios are bound by them,
# so the chains are balanced by measured time): cluster, stores and options beside day2, recovery and
# bad_input. `default`'s output is shown live until its image is there, and the rest when it ends;
# the first chain writes to a log that is shown when it ends. Any failure fails the run.
#   tests/molecule/run.sh             every scenario
#   tests/molecule/run.sh NAME ...    only these, one after the other
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
MOLECULE=${MOLECULE:-.venv/bin/molecule}
SCENARIOS=(default stores recovery bad_input options day2 cluster)

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
export FILAMENT_RUN_ID=${FILAMENT_RUN_ID:-$$-$(date +%s)}
image=${FILAMENT_CONVERGED_IMAGE:-filament-mlflow-converged:default}
first=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX")
trap 'rm -f "$first" "$log"' EXIT
chain default >"$first" 2>&1 &
defaults=$!
tail -n +1 -f "$first" & shown=$!
until [ "$(docker image inspect -f '{{index .Config.Labels "filament.run"}}' "$image" 2>/dev/null)" = "$FILAMENT_RUN_ID" ]; do
  if ! kill -0 "$defaults" 2>/dev/null; then
    sleep 1; kill "$shown"; wait "$defaults"
    echo "=== default ended before it kept the image of its converged host ($image)"
    exit 1
  fi
  sleep 5
done
sleep 1; kill "$shown"; wait "$shown" 2>/dev/null
seen=$(stat -c %s "$first")
echo "=== the image of default's converged host is there ($((SECONDS - start)) s): the chains start; default's checks go on beside them"
chain cluster stores options >"$log" 2>&1 &
beside=$!
chain day2 recovery bad_input; ours=$?
wait "$beside"; theirs=$?
wait "$defaults"; firsts=$?
echo "=== the rest of default, run beside the chains:"
tail -c +$((seen + 1)) "$first"
echo "=== cluster, stores and options, run beside day2, recovery and bad_input:"
cat "$log"
[ "$firsts" -eq 0 ] && [ "$ours" -eq 0 ] && [ "$theirs" -eq 0 ] || exit 1
echo "=== every scenario passed in $((SECONDS - start)) s"
