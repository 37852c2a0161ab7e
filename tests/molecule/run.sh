#!/usr/bin/env bash
# The molecule scenarios, in the order their images need: `default` first. The scenarios after it
# start from an image of the host it converged (`stores` from the bare host images), which its
# converge keeps, labelled with this run's FILAMENT_RUN_ID: as soon as that image is there, two
# workers take the other scenarios from one queue, longest first (by measured time), each the next
# one as it finishes the last, while the rest of `default` (its checks) runs beside them. Each
# scenario runs on its own hosts, ports and networks; the machine has two cores, which bound them.
# `default`'s output and the first worker's are shown live, the second worker's when it ends. Any
# failure fails the run; a worker goes on with the queue after one.
#   tests/molecule/run.sh             every scenario
#   tests/molecule/run.sh NAME ...    only these, one after the other
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
MOLECULE=${MOLECULE:-.venv/bin/molecule}
# After default, longest first: the queue the two workers share.
QUEUE=(cluster day2 stores bad_input options recovery)
SCENARIOS=(default "${QUEUE[@]}")

listed=$(printf '%s\n' "${SCENARIOS[@]}" | sort | xargs)
present=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | cut -d/ -f2 | sort | xargs)
[ "$listed" = "$present" ] || { echo "tests/molecule/run.sh must list every scenario under molecule/ ($present)"; exit 1; }

chain() {
  for s in "$@"; do
    echo "=== molecule test -s $s ($(date +%T))"
    "$MOLECULE" test -s "$s" || { echo "=== $s failed"; return 1; }
  done
}

# The next scenario of QUEUE for a worker, under a lock on the counter file: its index, or nothing.
take() {
  # shellcheck disable=SC2016  # the inner shell expands them
  flock "$taken" bash -c 'i=$(cat "$1"); [ "$i" -lt "$2" ] || exit 1; echo $((i + 1)) > "$1"; echo "$i"' _ "$taken" "${#QUEUE[@]}"
}

# FILAMENT_AFTER_QUEUE: a command for the first worker that finds the queue empty, run beside the
# other worker's last scenario rather than after everything (.ci/run: the short benchmark).
worker() {
  local failed=0 i
  while i=$(take); do
    chain "${QUEUE[$i]}" || failed=1
  done
  if [ -n "${FILAMENT_AFTER_QUEUE:-}" ] && mkdir "$taken.after" 2>/dev/null; then
    echo "=== $FILAMENT_AFTER_QUEUE ($(date +%T))"
    bash -c "$FILAMENT_AFTER_QUEUE" || { echo "=== $FILAMENT_AFTER_QUEUE failed"; failed=1; }
  fi
  return "$failed"
}

if [ $# -gt 0 ]; then chain "$@"; exit $?; fi

start=$SECONDS
export FILAMENT_RUN_ID=${FILAMENT_RUN_ID:-$$-$(date +%s)}
image=${FILAMENT_CONVERGED_IMAGE:-filament-mlflow-converged:default}
first=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX")
taken=$(mktemp "${TMPDIR:-/tmp}/filament-molecule.XXXXXX")
echo 0 > "$taken"
trap 'rm -rf "$first" "$log" "$taken" "$taken.after"' EXIT
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
echo "=== the image of default's converged host is there ($((SECONDS - start)) s): the workers start; default's checks go on beside them"
worker >"$log" 2>&1 &
beside=$!
sleep 1
worker; ours=$?
wait "$beside"; theirs=$?
wait "$defaults"; firsts=$?
echo "=== the rest of default, run beside the workers:"
tail -c +$((seen + 1)) "$first"
echo "=== the second worker's scenarios, run beside the first's:"
cat "$log"
[ "$firsts" -eq 0 ] && [ "$ours" -eq 0 ] && [ "$theirs" -eq 0 ] || exit 1
echo "=== every scenario passed in $((SECONDS - start)) s"
