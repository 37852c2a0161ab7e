#!/usr/bin/env bash
# ansible-test sanity for filament.mlflow.
#
# ansible-test wants the collection at .../ansible_collections/filament/mlflow and lists its
# files through git. The checkout is neither, so the files git knows about (tracked, plus new
# ones that are not ignored) are copied to .build/sanity/ansible_collections/filament/mlflow,
# which gets a git repository of its own (no commit needed: ansible-test also sees untracked
# files). Without that repository ansible-test would find the checkout's, where .build/ is ignored.
#
# ansible-test runs on the checkout's Python (--local); each sanity test gets a virtual
# environment with the tool versions ansible-test pins, so no Docker is needed; the first run
# fetches them from PyPI, later runs reuse them (~/.ansible/test/venv).
#
#   tests/sanity/run.sh                 all sanity tests
#   tests/sanity/run.sh --test pylint   extra arguments go to ansible-test
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${FILAMENT_VENV_BIN:-$REPO/.venv/bin}
PYTHON_VERSION=${FILAMENT_SANITY_PYTHON:-3.11}
ROOT=$REPO/.build/sanity
DEST=$ROOT/ansible_collections/filament/mlflow

rm -rf "$ROOT"
mkdir -p "$DEST"

# collections/ links back to the checkout itself: copying it would nest the collection in itself.
# benchmarks/ and harness/ are development tools outside the collection (not in the tarball);
# they are plain scripts, not Ansible content, so Ansible's sanity rules do not apply to them.
cd "$REPO"
git ls-files -z --cached --others --exclude-standard \
  | grep -zvE '^(collections|benchmarks|harness)/' \
  | while IFS= read -r -d '' path; do
      if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi  # tracked but deleted: not copied
    done \
  | tar --null --files-from=- --create --file=- \
  | tar --extract --file=- --directory="$DEST"

git -C "$DEST" init --quiet

# ansible-test puts pip into each of its virtual environments with a get-pip script from
# ci-files.testing.ansible.com, cached as ~/.ansible/test/cache/get_pip_<version>.py. Where only
# the package index is reachable, a stand-in does the same job: the venv's own ensurepip (pip's
# bundled wheel), then `pip install` of the pinned pip ansible-test asks for, from the index.
# ansible-test runs pip with a scrubbed environment, so a CA bundle for a package mirror or an
# intercepting proxy (PIP_CERT / SSL_CERT_FILE here) is written into each venv's pip.conf.
# A real get-pip script, when cached, is left alone.
PIP_VERSION=$("$BIN/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="'"$PYTHON_VERSION"'"))["pip"])' 2>/dev/null || echo 24.2)
GET_PIP=$HOME/.ansible/test/cache/get_pip_${PIP_VERSION//./_}.py
STAND_IN_MARK='# stand-in for get-pip.py written by filament.mlflow tests/sanity/run.sh'
if [ ! -s "$GET_PIP" ] || grep -qF "$STAND_IN_MARK" "$GET_PIP"; then
  mkdir -p "$(dirname "$GET_PIP")"
  {
    echo "$STAND_IN_MARK"
    echo "CA_BUNDLE = '${PIP_CERT:-${SSL_CERT_FILE:-}}'"
    cat <<'PY'
import os
import subprocess
import sys

if CA_BUNDLE:
    with open(os.path.join(sys.prefix, 'pip.conf'), 'w') as conf:
        conf.write('[global]\ncert = %s\n' % CA_BUNDLE)
# In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in the process that runs it.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
PY
  } > "$GET_PIP.tmp"
  mv -f "$GET_PIP.tmp" "$GET_PIP"
fi

SKIP=()
# The shellcheck program comes from the system (Debian: apt-get install shellcheck); without
# it ansible-test would only warn and pass, so its absence is made visible here.
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "tests/sanity/run.sh: shellcheck is not installed (apt-get install shellcheck): skipping that test" >&2
  SKIP+=(--skip-test shellcheck)
fi

cd "$DEST"
export PATH="$BIN:$PATH"
exec "$BIN/ansible-test" sanity --local --python "$PYTHON_VERSION" --color no "${SKIP[@]}" "$@"
