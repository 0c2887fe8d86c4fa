#!/usr/bin/env bash
# Makes sure the base images the Dockerfiles and tests use are on this engine.
#
# With a registry: the official images (named in images.env) are pulled. Without one: stand-ins are built from Debian packages (debootstrap, then
# `docker import`, then the Dockerfiles in scripts/offline/), and their names are
# written to .env, the file Compose and the test suite both read. This is the same
# place a user would name images from a private registry.
#
#   --proxy     also the Swarm stack's reverse proxy (nginx), which `make up` does not need
#   --cluster   the proxy, and a Debian image to build the three-node swarm's nodes and registry
#               on (scripts/cluster.sh), named in .env as DEBIAN_IMAGE
#   OFFLINE=1   build the stand-ins even if a registry answers
#   OFFLINE=0   never build them; fail if the official images cannot be had
#   OFFLINE_PYTHON_IMAGE, OFFLINE_POSTGRES_IMAGE, OFFLINE_NGINX_IMAGE   other names for the stand-ins
#               (the planted-mistake runner builds mutated recipes under their own names)
#   REFRESH=1   (`make update`) pull the official images again; rebuild a stand-in, and the Debian
#               base under it, where Debian's archive has newer versions of packages in it
#
# Idempotent: an image already present (with the same build recipe) is kept. Each image it had
# before is checked against images.lock (scripts/lib/image-lock.sh): a name moved outside the
# project stops it. One it pulls or builds, or refreshes, is locked at what it is now.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
offline_dir="$root/scripts/offline"
env_file="$root/.env"
# shellcheck source=lib/debian.sh
. "$root/scripts/lib/debian.sh"
# shellcheck source=lib/dotenv.sh
. "$root/scripts/lib/dotenv.sh"
# shellcheck source=lib/image-lock.sh
. "$root/scripts/lib/image-lock.sh"

# The names this script reads from images.env (as data: scripts/lib/dotenv.sh).
IMAGE_NAMES=(PYTHON_SERIES POSTGRES_MAJOR DEBIAN_SUITE OFFICIAL_PYTHON_IMAGE OFFICIAL_POSTGRES_IMAGE
  OFFICIAL_NGINX_IMAGE OFFICIAL_DEBIAN_IMAGE OFFLINE_PYTHON_IMAGE OFFLINE_POSTGRES_IMAGE OFFLINE_NGINX_IMAGE)

# load_image_names: IMAGE_NAMES from images.env, unless the environment already sets them.
load_image_names() {
  read_env_file "$root/images.env" "${IMAGE_NAMES[@]}"
}
load_image_names
DEBIAN_BASE_IMAGE=docker-tutorial.invalid/offline-debian:$DEBIAN_SUITE
RECIPE_LABEL=org.example.offline-recipe
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

say() { printf 'ensure-images: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

image_present() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
refreshing() { [ "${REFRESH:-}" = 1 ]; }
# The images this run pulled or built: what they name now is what the lock records.
MADE_HERE=()
made_here() { MADE_HERE+=("$1"); }
# keep_locked NAME...: each NAME locked at what it names now if this run made it or refreshes
# the images; else checked against the lock.
keep_locked() {
  local name made
  for name in "$@"; do
    made=0
    [[ " ${MADE_HERE[*]} " == *" $name "* ]] && made=1
    if refreshing || [ "$made" = 1 ]; then lock_image "$name"; else check_locked "$name"; fi
  done
}
# have_or_pull IMAGE: IMAGE is here, or is pulled; refreshing, it is pulled again where a registry
# answers (and said when that changed it).
have_or_pull() {
  if refreshing && image_present "$1"; then
    local before
    before=$(image_id "$1")
    docker pull -q "$1" >/dev/null 2>&1 || return 0
    [ "$(image_id "$1")" = "$before" ] || say "pulled a newer $1"
    return 0
  fi
  image_present "$1" && return 0
  local digest
  digest=$(locked_digest "$1")
  if [ -n "$digest" ] && ! refreshing; then
    # Gone from this engine since it was locked: the image the lock holds comes back, by the
    # digest a registry served it under, not what the name means there today.
    docker pull -q "$digest" >/dev/null 2>&1 && docker tag "$digest" "$1"
    return
  fi
  docker pull -q "$1" >/dev/null 2>&1 && made_here "$1"
}

# newer_packages IMAGE: the Debian packages in IMAGE of which Debian's archive has a newer
# version: the suite, its point-release and its security updates (a stock machine's sources, put
# into a throwaway container of IMAGE: an image built before its base had them is judged too).
newer_packages() {
  local simulation
  simulation=$(docker run --rm --user 0 --entrypoint sh "$1" -c \
    'rm -f /etc/apt/sources.list && printf "%s\n" "$1" >/etc/apt/sources.list.d/debian.sources &&
     apt-get update -qq >/dev/null && apt-get -s -q upgrade' sh "$(stock_sources "$DEBIAN_SUITE")") ||
    die "cannot ask Debian's archive whether the packages in $1 are the newest (apt-get in it failed)"
  awk '/^Inst / { print $2 }' <<<"$simulation"
}

# outdated IMAGE: refreshing, and IMAGE has packages Debian has a newer version of (said).
outdated() {
  refreshing || return 1
  local newer
  newer=$(newer_packages "$1")
  [ -n "$newer" ] || { say "$1: its Debian packages are the newest"; return 1; }
  say "$1: Debian has newer $(paste -sd' ' <<<"$newer"): rebuilding it"
}

# recipe_hash FILE...: what a stand-in is built from; a change to it means a rebuild.
recipe_hash() { cat "$@" | sha256sum | cut -c1-16; }

image_is_current() {
  image_present "$1" &&
    [ "$(docker image inspect -f "{{ index .Config.Labels \"$RECIPE_LABEL\" }}" "$1")" = "$2" ]
}

# slim_rootfs DIR: leaves out what Debian's own slim images leave out (documentation,
# manuals, translations, apt's caches), also for every package installed on top later.
slim_rootfs() {
  local dir=$1
  [ -d "$dir/etc/dpkg" ] || die "slim_rootfs: $dir is not a Debian root file system"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' \
    'path-exclude /usr/share/info/*' 'path-exclude /usr/share/lintian/*' \
    'path-exclude /usr/share/locale/*' >"$dir/etc/dpkg/dpkg.cfg.d/slim"
  find "$dir/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/groff/* "$dir"/usr/share/info/* \
    "$dir"/usr/share/lintian/* "$dir"/usr/share/locale/* \
    "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
}

build_debian_base() {
  image_present "$DEBIAN_BASE_IMAGE" && ! outdated "$DEBIAN_BASE_IMAGE" && return 0
  ensure_debootstrap
  local work
  # Private (mktemp -d: 0700), and removed however the script ends, interrupted too.
  work=$(mktemp -d "${TMPDIR:-/var/tmp}/offline-rootfs.XXXXXX")
  # shellcheck disable=SC2064 # the folder's name, now
  trap "rm -rf '$work'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  say "debootstrap $DEBIAN_SUITE (about 30 s)"
  if ! debootstrap_verified "$DEBIAN_SUITE" "$work/rootfs" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    die "debootstrap $DEBIAN_SUITE failed (the last lines of its log above)"
  fi
  slim_rootfs "$work/rootfs"
  # A stock machine's sources (debootstrap's name the suite alone): what is installed on this base
  # later comes with the suite's point-release and security updates.
  rm -f "$work/rootfs/etc/apt/sources.list"
  mkdir -p "$work/rootfs/etc/apt/sources.list.d"
  stock_sources "$DEBIAN_SUITE" >"$work/rootfs/etc/apt/sources.list.d/debian.sources"
  made_here "$DEBIAN_BASE_IMAGE"
  tar -C "$work/rootfs" -c . | docker import - "$DEBIAN_BASE_IMAGE" >/dev/null
  rm -rf "$work"
  trap - EXIT INT TERM
  # debootstrap installed the suite's versions; its updates and security updates on top.
  docker build -q -t "$DEBIAN_BASE_IMAGE" - >/dev/null <<EOF || die "upgrading $DEBIAN_BASE_IMAGE's packages failed"
FROM $DEBIAN_BASE_IMAGE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -q upgrade >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/apt/* /var/log/dpkg.log
EOF
  # Made for a stand-in, it is the three-node swarm's base too (--cluster locks it): its line follows.
  [ -z "$(locked_id "$DEBIAN_BASE_IMAGE")" ] || lock_image "$DEBIAN_BASE_IMAGE"
}

# debian_version PACKAGE: the version of PACKAGE that apt would install in the base image.
debian_version() {
  local policy
  policy=$(docker run --rm "$DEBIAN_BASE_IMAGE" sh -c 'apt-get update -qq >/dev/null && apt-cache policy "$1"' sh "$1") ||
    die "cannot ask Debian $DEBIAN_SUITE's archive for $1 (apt-get update in $DEBIAN_BASE_IMAGE failed)"
  awk '/Candidate:/ && $2 != "(none)" { print $2 }' <<<"$policy"
}

# build_stand_in IMAGE DOCKERFILE VERSION_ARG PACKAGE [FILE...]: the Dockerfile gets, as
# VERSION_ARG, Debian's version of PACKAGE written as the official image writes it (Python and
# nginx: upstream only, 3.13.5; PostgreSQL: the package's, 17.6-0+deb13u1, with PG_MAJOR from
# images.env). FILEs are what it copies in.
build_stand_in() {
  local image=$1 dockerfile=$2 version_arg=$3 package=$4 hash version
  # The pairing is part of the recipe: a new one in images.env means a rebuild.
  hash=$(recipe_hash "$offline_dir/$dockerfile" "${@:5}" <(echo "$DEBIAN_SUITE $PYTHON_SERIES $POSTGRES_MAJOR"))
  local -a fresh=()
  if image_is_current "$image" "$hash"; then
    outdated "$image" || return 0
    # The same recipe on the same base: cached layers would give back the same outdated image.
    fresh=(--no-cache)
  fi
  [ -r "$HOST_CA_BUNDLE" ] || die "HOST_CA_BUNDLE=$HOST_CA_BUNDLE cannot be read (pip and apt inside the images need it)"
  build_debian_base
  version=$(debian_version "$package")
  [ -n "$version" ] || die "Debian $DEBIAN_SUITE has no package $package (see the pairing in images.env)"
  local -a build_args=(--build-arg "BASE_IMAGE=$DEBIAN_BASE_IMAGE")
  case "$version_arg" in
    PYTHON_VERSION | NGINX_VERSION) version=${version#*:} version=${version%%-*} ;;
    PG_VERSION) build_args+=(--build-arg "PG_MAJOR=$POSTGRES_MAJOR") ;;
  esac
  build_args+=(--build-arg "$version_arg=$version")
  say "building $image ($package $version)"
  local context
  context=$(mktemp -d)
  cp "$offline_dir"/* "$HOST_CA_BUNDLE" "$context/"
  docker build -q "${fresh[@]}" -t "$image" -f "$context/$dockerfile" "${build_args[@]}" \
    --label "$RECIPE_LABEL=$hash" "$context" >/dev/null ||
    { rm -rf "$context"; die "building $image failed"; }
  rm -rf "$context"
  made_here "$image"
}

# set_env_var NAME VALUE: writes NAME=VALUE into .env, keeping its other lines and its
# mode (a 0600 .env holding a password stays 0600); replaced in one rename, so a reader
# never sees half a file.
set_env_var() {
  [ -e "$env_file" ] || (umask 077 && touch "$env_file")
  local tmp
  tmp=$(umask 077 && mktemp "$env_file.XXXXXX")
  grep -v "^$1=" "$env_file" >"$tmp" || true
  printf '%s=%s\n' "$1" "$2" >>"$tmp"
  chmod --reference="$env_file" "$tmp"
  mv "$tmp" "$env_file"
}

use_official_images() {
  say "using the official images"
  set_env_var PYTHON_IMAGE "$OFFICIAL_PYTHON_IMAGE"
  set_env_var POSTGRES_IMAGE "$OFFICIAL_POSTGRES_IMAGE"
  keep_locked "$OFFICIAL_PYTHON_IMAGE" "$OFFICIAL_POSTGRES_IMAGE"
}

use_stand_ins() {
  say "no registry answers: using stand-in images built from Debian packages"
  build_stand_in "$OFFLINE_PYTHON_IMAGE" python.Dockerfile PYTHON_VERSION "python$PYTHON_SERIES" "$HOST_CA_BUNDLE"
  build_stand_in "$OFFLINE_POSTGRES_IMAGE" postgres.Dockerfile PG_VERSION "postgresql-$POSTGRES_MAJOR" \
    "$offline_dir/docker-entrypoint.sh"
  set_env_var PYTHON_IMAGE "$OFFLINE_PYTHON_IMAGE"
  set_env_var POSTGRES_IMAGE "$OFFLINE_POSTGRES_IMAGE"
  keep_locked "$OFFLINE_PYTHON_IMAGE" "$OFFLINE_POSTGRES_IMAGE"
  # Ryuk, testcontainers' reaper, is pulled from a registry; the suite cleans up itself.
  set_env_var TESTCONTAINERS_RYUK_DISABLED true
  say "images: $OFFLINE_PYTHON_IMAGE, $OFFLINE_POSTGRES_IMAGE (written to .env)"
}

# ensure_nginx_image: the Swarm stack's reverse proxy (swarm/stack.yml), official or stand-in.
ensure_nginx_image() {
  if [ "$1" != 1 ] && have_or_pull "$OFFICIAL_NGINX_IMAGE"; then
    set_env_var NGINX_IMAGE "$OFFICIAL_NGINX_IMAGE"
    keep_locked "$OFFICIAL_NGINX_IMAGE"
    return 0
  fi
  [ "$1" != 0 ] || die "OFFLINE=0 but $OFFICIAL_NGINX_IMAGE cannot be pulled"
  build_stand_in "$OFFLINE_NGINX_IMAGE" nginx.Dockerfile NGINX_VERSION nginx
  set_env_var NGINX_IMAGE "$OFFLINE_NGINX_IMAGE"
  keep_locked "$OFFLINE_NGINX_IMAGE"
}

# ensure_debian_image: the official Debian image, or with no registry the base the stand-ins are built on.
ensure_debian_image() {
  if [ "$1" != 1 ] && have_or_pull "$OFFICIAL_DEBIAN_IMAGE"; then
    set_env_var DEBIAN_IMAGE "$OFFICIAL_DEBIAN_IMAGE"
    keep_locked "$OFFICIAL_DEBIAN_IMAGE"
    return 0
  fi
  [ "$1" != 0 ] || die "OFFLINE=0 but $OFFICIAL_DEBIAN_IMAGE cannot be pulled"
  build_debian_base
  set_env_var DEBIAN_IMAGE "$DEBIAN_BASE_IMAGE"
  keep_locked "$DEBIAN_BASE_IMAGE"
}

main() {
  "$root/scripts/ensure-engine.sh"
  local mode=${OFFLINE:-auto}
  case "$mode" in auto|0|1) ;; *) die "OFFLINE must be 0, 1 or unset, not '$mode'" ;; esac
  case "${1:-}" in
    --proxy) ensure_nginx_image "$mode" ;;
    --cluster)
      ensure_nginx_image "$mode"
      ensure_debian_image "$mode"
      ;;
    '') ;;
    *) die "unknown argument '$1' (--proxy or --cluster)" ;;
  esac
  if [ "$mode" != 1 ] && have_or_pull "$OFFICIAL_PYTHON_IMAGE" && have_or_pull "$OFFICIAL_POSTGRES_IMAGE"; then
    use_official_images
    return 0
  fi
  [ "$mode" != 0 ] || die "OFFLINE=0 but $OFFICIAL_PYTHON_IMAGE or $OFFICIAL_POSTGRES_IMAGE cannot be pulled"
  use_stand_ins
}

# Sourced (by the tests of its functions), it only defines them.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
