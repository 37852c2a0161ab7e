#!/usr/bin/env bash
# `make lab` / `make lab-down`: the whole stack on one local systemd host (a container named
# mlflow-lab), deployed by playbooks/site.yml with inventories/lab, Caddy published on
# https://localhost:${FILAMENT_LAB_PORT:-8443}. Running `up` again converges again.
# FILAMENT_LAB_IMAGE (CI's short benchmark): a new lab host starts from that image of a converged
# host instead of a bare one, with the image's credentials (FILAMENT_LAB_IMAGE_CREDENTIALS) where the
# lab has none yet; the converge then only makes it the lab.
# Beside it a backup host (mlflow-lab-backup, an SFTP account for restic, set up by
# playbooks/backup-host.yml) on a network of their own; `down` leaves it and its backups, so a
# new lab can restore them; `purge` removes it too.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=mlflow-lab
BACKUP=mlflow-lab-backup
NETWORK=filament-lab
PORT=${FILAMENT_LAB_PORT:-8443}
STATE=$ROOT/.lab
CREDS=$ROOT/inventories/lab/credentials
cd "$ROOT"

up() {
  docker network inspect "$NETWORK" >/dev/null 2>&1 || docker network create "$NETWORK" >/dev/null
  local from=""
  if [ -n "${FILAMENT_LAB_IMAGE:-}" ] && ! docker container inspect "$NAME" >/dev/null 2>&1; then
    from=$FILAMENT_LAB_IMAGE
    if [ ! -f "$CREDS/mysql_password" ]; then
      mkdir -p "$CREDS"; chmod 0700 "$CREDS"
      cp -a "${FILAMENT_LAB_IMAGE_CREDENTIALS:-${FILAMENT_CACHE:-$HOME/.cache/filament-mlflow}/converged/default-credentials}/." "$CREDS/"
    fi
  fi
  FILAMENT_HOST_UP_IMAGE=$from "$ROOT/harness/harness.sh" host-up "$NAME" -p "127.0.0.1:$PORT:443" --network "$NETWORK"
  "$ROOT/harness/harness.sh" host-up "$BACKUP" --network "$NETWORK"
  # A lab host made before it had a backup host joins their network.
  docker container inspect -f '{{json .NetworkSettings.Networks}}' "$NAME" | grep -q "\"$NETWORK\"" \
    || docker network connect "$NETWORK" "$NAME"
  mkdir -p "$STATE" "$CREDS"
  chmod 0700 "$CREDS"
  # The key the lab host logs in to its backup host with, made once and kept with the credentials.
  [ -f "$CREDS/backup_ssh_key" ] || ssh-keygen -q -t ed25519 -N '' -C filament-lab-backup -f "$CREDS/backup_ssh_key"
  ANSIBLE_CONFIG=$ROOT/ansible.cfg "$ROOT/.venv/bin/ansible-playbook" -i inventories/lab/hosts.yml playbooks/backup-host.yml \
    >"$STATE/backup-host.log" || { cat "$STATE/backup-host.log"; exit 1; }
  local start=$SECONDS
  ANSIBLE_CONFIG=$ROOT/ansible.cfg "$ROOT/.venv/bin/ansible-playbook" -i inventories/lab/hosts.yml playbooks/site.yml \
    "$@" | tee "$STATE/last-run.log"
  echo "converged in $((SECONDS - start)) s" >> "$STATE/last-run.log"

  umask 077
  # The public CAs and the lab's: presigned transfers are plain HTTPS requests to the lab's address.
  cat "$("$ROOT/.venv/bin/python" -m certifi)" "$CREDS/caddy-root.crt" > "$STATE/ca-bundle.pem"
  cat > "$STATE/connection.env" <<ENV
MLFLOW_TRACKING_URI=https://localhost:$PORT
MLFLOW_TRACKING_USERNAME=filament
MLFLOW_TRACKING_PASSWORD=$(cat "$CREDS/caddy_filament_password")
MLFLOW_TRACKING_SERVER_CERT_PATH=$CREDS/caddy-root.crt
REQUESTS_CA_BUNDLE=$STATE/ca-bundle.pem
ENV
  # The service answers through Caddy with these credentials, or `make lab` fails here.
  curl -fsS --cacert "$CREDS/caddy-root.crt" -u "filament:$(cat "$CREDS/caddy_filament_password")" \
    "https://localhost:$PORT/health" >/dev/null
  cat <<MSG

MLflow is up at https://localhost:$PORT (basic auth, Caddy's lab CA).
Connect a client with the variables in .lab/connection.env:

  set -a; . $STATE/connection.env; set +a
  python -c 'import mlflow; mlflow.set_experiment("hello"); mlflow.start_run(); mlflow.log_param("a", 1); mlflow.end_run()'

Backups go to $BACKUP (restic over SFTP); take one now, and restore after make lab-down and make lab:
  .venv/bin/ansible-playbook -i inventories/lab/hosts.yml playbooks/backup.yml
  .venv/bin/ansible-playbook -i inventories/lab/hosts.yml playbooks/restore.yml

Prometheus (docs/monitoring/prometheus.yml): https://localhost:$PORT/metrics/targets lists every target,
user prometheus, password in inventories/lab/credentials/caddy_metrics_password.

Browser: https://localhost:$PORT  user: filament  password: in inventories/lab/credentials/caddy_filament_password
(trust inventories/lab/credentials/caddy-root.crt to silence the certificate warning). Remove with: make lab-down
MSG
}

down() {
  "$ROOT/harness/harness.sh" host-down "$NAME"
  rm -rf "$STATE"
  echo "lab removed (credentials kept in inventories/lab/credentials/, backups on $BACKUP)"
}

purge() {
  down
  "$ROOT/harness/harness.sh" host-down "$BACKUP"
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  echo "backup host $BACKUP removed"
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  down) down ;;
  purge) purge ;;
  *) echo "usage: $0 {up|down|purge}" >&2; exit 2 ;;
esac
