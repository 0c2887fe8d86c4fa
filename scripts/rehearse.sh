#!/usr/bin/env bash
# Rehearses a newcomer's first commands on pristine machines: the only proof that the README's
# commands work where nothing was installed by hand.
#
#   scripts/rehearse.sh [MACHINE...]    (default: bookworm)
#
# Machines:
#   bookworm            a stock Debian 12: no engine, packages at the release's versions while
#                       bookworm-updates and bookworm-security offer newer ones
#   trixie              a stock Debian 13 (Debian's own docker.io is new enough there)
#   bookworm-engine-20  bookworm with Debian's Docker Engine 20.10 installed and running
#
# Each machine is a root file system made with debootstrap (signatures checked with Debian's
# keyring; cached in $REHEARSAL_CACHE for a week), with the apt sources a stock machine has and
# what this kind of machine starts with: Debian's Python 3 with venv, git, make, curl,
# ca-certificates, and a Docker client in /usr/local/bin but no engine. It runs as a privileged
# container with its own dockerd (its /var/lib/docker on a volume). Into it goes the commit
# under test (`git archive HEAD`; a tree that is no git work tree goes in without what it
# ignores), then, in order, what the README tells a newcomer. Each step is printed with its
# time; a failed step's whole log stays in $REHEARSAL_LOGS. Afterwards the host's engine holds
# nothing of the rehearsal's: no container, volume or image.
#
# The test command rehearsed is the README's for the chapter that needs most of the machine
# (Compose, Debian's Chromium and its driver's libraries) and for the one scenario that builds an
# earlier release from the repository's own files (the migrations' adoption of a database made
# before them: the copy has no git history, as a shallow clone or a source archive has none);
# then `make unit`. The whole `make test` takes
# about 4 minutes more here. REHEARSAL_WHOLE_SUITE=1 rehearses it whole.
set -euo pipefail
# Failures inside $(...) stop the script too (a half-made root file system is never cached).
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/debian.sh
. "$root/scripts/lib/debian.sh"

REHEARSAL_CACHE=${REHEARSAL_CACHE:-/var/cache/docker-tutorial-rehearsal}
REHEARSAL_LOGS=${REHEARSAL_LOGS:-$root/reports/rehearsal}
if [ "${REHEARSAL_WHOLE_SUITE:-0}" = 1 ]; then
  TEST_COMMANDS=("make test")
else
  TEST_COMMANDS=("make test PYTEST_ARGS='tests/containers/test_12_in_a_browser.py tests/containers/test_14_migrations_and_roles.py::test_a_database_made_by_the_release_before_migrations_is_adopted_with_every_visit'"
    "make unit")
fi
REHEARSAL_LABEL=org.example.rehearsal
# What a stock machine of this kind has that debootstrap's minimal base does not.
MACHINE_PACKAGES=ca-certificates,curl,git,make,procps,python3,python3-venv
# The certificate authorities this site adds to Debian's (a network that inspects TLS has one):
# a stock machine here trusts them, so the pristine one does too.
LOCAL_CAS=/usr/local/share/ca-certificates
PAGE_TEXT='Hello from the API container!'

say() { printf 'rehearse: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- the host's side: the machine's root file system and its container ---------------------------

# machine_rootfs SUITE: the path of a tarball of a stock SUITE machine, made if not cached.
machine_rootfs() {
  local suite=$1 recipe tarball dir
  recipe=$( (echo "$suite $MACHINE_PACKAGES $(debian_mirror)"; stock_sources "$suite"; cat "$LOCAL_CAS"/*.crt 2>/dev/null) |
    sha256sum | cut -c1-12)
  tarball=$REHEARSAL_CACHE/$suite-$recipe.tar
  mkdir -p "$REHEARSAL_CACHE"
  find "$REHEARSAL_CACHE" -name "$suite-*.tar" -mtime +7 -delete
  if [ ! -s "$tarball" ]; then
    ensure_debootstrap
    dir=$(mktemp -d /var/tmp/rehearsal-rootfs.XXXXXX)
    say "debootstrap $suite (cached in $REHEARSAL_CACHE for a week)"
    debootstrap_verified "$suite" "$dir" --include="$MACHINE_PACKAGES" >"$dir.log" 2>&1 ||
      { tail -n 20 "$dir.log" >&2; rm -rf "$dir"; die "debootstrap $suite failed (log: $dir.log)"; }
    rm -f "$dir.log" "$dir/etc/apt/sources.list"
    stock_sources "$suite" >"$dir/etc/apt/sources.list.d/debian.sources"
    if compgen -G "$LOCAL_CAS/*.crt" >/dev/null; then
      cp "$LOCAL_CAS"/*.crt "$dir$LOCAL_CAS/"
      chroot "$dir" update-ca-certificates >/dev/null
    fi
    # Another rehearsal may be making the same one: each writes its own, the last rename wins.
    local partial
    partial=$(mktemp "$tarball.XXXXXX")
    tar -C "$dir" -cf "$partial" . && mv "$partial" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

# start_machine NAME SUITE: a privileged container of a pristine SUITE machine, running.
start_machine() {
  local name=$1 suite=$2 tarball client
  tarball=$(machine_rootfs "$suite")
  docker import --change "LABEL $REHEARSAL_LABEL=$name" "$tarball" "docker-tutorial.invalid/rehearsal-$name:pristine" >/dev/null
  docker volume create --label "$REHEARSAL_LABEL=$name" "$name-var-lib-docker" >/dev/null
  # The engine inside needs the privileges of one and a /var/lib/docker that is no overlayfs.
  docker create -q --name "$name" --hostname "$suite" --label "$REHEARSAL_LABEL=$name" \
    --privileged --init -v "$name-var-lib-docker:/var/lib/docker" \
    -e LANG=C.UTF-8 -w /root "docker-tutorial.invalid/rehearsal-$name:pristine" sleep infinity >/dev/null
  # A Docker client but no engine, as this kind of machine has.
  client=$(command -v docker)
  docker cp "$client" "$name:/usr/local/bin/docker" >/dev/null
  project_tree | docker cp - "$name:/root/" >/dev/null
  docker start "$name" >/dev/null
}

# project_tree: a tar stream of the commit under test as the folder project/.
project_tree() {
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$root" archive --prefix=project/ HEAD
  else
    # A copy that is no work tree (the planted-mistake runner's): what a commit of it would hold,
    # through a repository kept apart, so the copy itself is only read.
    local git_dir status=0
    git_dir=$(mktemp -d)
    {
      git --git-dir="$git_dir" --work-tree="$root" init -q &&
        git --git-dir="$git_dir" --work-tree="$root" add -A &&
        git --git-dir="$git_dir" archive --prefix=project/ "$(git --git-dir="$git_dir" write-tree)"
    } || status=$?
    rm -rf "$git_dir"
    return "$status"
  fi
}

remove_machine() {
  local name=$1
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  docker volume rm -f "$name-var-lib-docker" >/dev/null 2>&1 || true
  docker image rm -f "docker-tutorial.invalid/rehearsal-$name:pristine" >/dev/null 2>&1 || true
}

# --- steps: what runs inside the machine ----------------------------------------------------------

# What a newcomer should never read in the output of a command that worked: an error, a warning,
# a deprecation (the classic builder's on every build, useradd's of a uid above the system
# range, Compose's failed pull of an image the project builds). Words, in any case.
UNWELCOME='\b(error|errors|warning|warnings|warn|deprecated)\b'

# unwelcome_lines LOG: the lines of LOG a newcomer should not see, with their numbers.
unwelcome_lines() { grep -niE "$UNWELCOME" "$1" || true; }

# step MACHINE TITLE COMMAND [clean]: runs COMMAND in the project folder of MACHINE as a newcomer
# would (a login shell as root), printing its time; its output goes to a log, shown if it fails.
# With `clean`, a COMMAND that worked but printed an unwelcome line fails too, showing those lines.
step() {
  local machine=$1 title=$2 command=$3 clean=${4:-} log started unwelcome
  log="$REHEARSAL_LOGS/$machine-$(tr -c 'a-zA-Z0-9\n' - <<<"$title" | tr -s -).log"
  started=$SECONDS
  if ! docker exec -w /root/project "$machine" bash -lc "$command" >"$log" 2>&1; then
    say "[$current_machine] $title: FAILED after $((SECONDS - started)) s; the last lines of its log ($log):"
    tail -n 40 "$log" >&2
    return 1
  fi
  [ "$clean" = clean ] && unwelcome=$(unwelcome_lines "$log") || unwelcome=
  if [ -n "$unwelcome" ]; then
    say "[$current_machine] $title: worked in $((SECONDS - started)) s, but printed what a newcomer should not see ($log):"
    printf '%s\n' "$unwelcome" >&2
    return 1
  fi
  say "[$current_machine] $title: ok ($((SECONDS - started)) s)"
  rm -f "$log"
}

# What `make up` promises: the page answers on port 8080 with the api's message.
page_shows_the_api_message="curl -fsS --max-time 10 http://localhost:8080/ | grep -qF '$PAGE_TEXT'"
# What a second run of the set-up changes on a machine whose engine is new enough: nothing.
machine_state="{ dpkg-query -W -f '\${Package} \${Version} \${Status}\n'; find /etc/apt -type f -exec md5sum {} +; } | sort | md5sum"
setup_changes_nothing="before=\$($machine_state) && scripts/ensure-images.sh && [ \"\$($machine_state)\" = \"\$before\" ]"
nothing_left="[ -z \"\$(docker ps -aq)\" ] && [ -z \"\$(docker volume ls -q)\" ]"

# make update, proven on a machine made outdated: its docker-cli put back to an older build of
# the newer suite where the archive has one (in December 2026, trixie-security's is older than
# trixie's rebuild of it); a marker says it was.
read -r -d '' outdate_docker_cli <<'SH' || true
. scripts/update.sh
read_newer_suite docker-cli
installed=$(dpkg-query -W -f '${Version}' docker-cli)
older=$(apt-cache "${NEWER_APT[@]}" madison docker-cli | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
  while read -r version; do
    if dpkg --compare-versions "$version" lt "$installed"; then echo "$version" && break; fi
  done)
if [ -n "$older" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get "${NEWER_APT[@]}" install -y -q --allow-downgrades "docker-cli=$older" >/dev/null
  echo "docker-cli $installed put back to $older" | tee /tmp/outdated
else
  echo "the archive has no docker-cli older than $installed: the machine stays as it is"
fi
SH
# What make update changed: Docker's packages only, the outdated one among them.
read -r -d '' update_upgrades_only_dockers <<'SH' || true
set -euo pipefail
packages() { dpkg-query -W -f '${Package} ${Version}\n' | sort; }
before=$(packages)
make update
changed=$(comm -13 <(echo "$before") <(packages) | awk '{ print $1 }')
echo "make update upgraded: ${changed:-nothing}"
for package in $changed; do
  grep -qxE 'docker\.io|docker-cli|docker-compose|docker-buildx|containerd|runc|tini' <<<"$package" ||
    { echo "make update upgraded $package, which the set-up did not install"; exit 1; }
done
[ ! -e /tmp/outdated ] || grep -qx docker-cli <<<"$changed"
SH
# Run again, it changes nothing: no package, no image.
update_changes_nothing="state() { { dpkg-query -W; docker images -q --no-trunc | sort; } | md5sum; }
before=\$(state) && make update && [ \"\$(state)\" = \"\$before\" ]"

rehearse_stock_machine() {
  local machine=$1
  step "$machine" "make up" "make up" clean
  step "$machine" "the page shows the api's message on port 8080" "$page_shows_the_api_message"
  step "$machine" "make up's set-up run again installs and changes nothing" "$setup_changes_nothing"
  step "$machine" "make down" "make down" clean
  step "$machine" "make down leaves no container or volume" "$nothing_left"
  local command
  for command in "${TEST_COMMANDS[@]}"; do
    step "$machine" "$command" "$command" clean
  done
  step "$machine" "an older docker-cli of the newer suite installed" "$outdate_docker_cli"
  step "$machine" "make update upgrades it and nothing but Docker's packages" "$update_upgrades_only_dockers" clean
  step "$machine" "make update run again changes nothing" "$update_changes_nothing" clean
}

# An engine older than 25 that already runs is someone else's: refused with what to do, kept.
REFUSAL_SECONDS=${REFUSAL_SECONDS:-60}
rehearse_old_engine() {
  local machine=$1
  step "$machine" "Debian's docker.io 20.10 installed and running" \
    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null &&
     (nohup dockerd >/var/log/dockerd.log 2>&1 &) && timeout 60 sh -c 'until docker info >/dev/null 2>&1; do sleep 0.2; done'"
  # The refusal is the set-up's first check: a make up still running after this long went on.
  step "$machine" "make up stops within ${REFUSAL_SECONDS} s with what to do" \
    "timeout $REFUSAL_SECONDS make up >/tmp/up.log 2>&1; status=\$?; cat /tmp/up.log;
     [ \$status -ne 0 ] && [ \$status -ne 124 ] &&
     grep -q 'Docker Engine 20\\.10\\..* answers; this project needs 25 or later' /tmp/up.log"
  step "$machine" "the running engine is left as it was" \
    "docker version --format '{{.Server.Version}}' | grep -q '^20\\.10\\.' && dockerd --version | grep -q ' 20\\.10\\.'"
}

rehearse() {
  local machine=$1 name
  name=rehearsal-$machine-$$
  current_machine=$machine
  # shellcheck disable=SC2064 # the name, now
  trap "remove_machine '$name'" EXIT
  # Stopped, it still removes its machine (bash runs the EXIT trap on exit, not on a signal).
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Its reader gone (pytest killed), writing fails: exit through the trap, not silently.
  trap 'exit 141' PIPE
  say "[$machine] starting a pristine machine"
  local started=$SECONDS
  case "$machine" in
    bookworm | trixie) start_machine "$name" "$machine" ;;
    bookworm-engine-20) start_machine "$name" bookworm ;;
    *) die "no machine '$machine' (bookworm, trixie, bookworm-engine-20)" ;;
  esac
  say "[$machine] machine ready ($((SECONDS - started)) s)"
  case "$machine" in
    bookworm-engine-20) rehearse_old_engine "$name" ;;
    *) rehearse_stock_machine "$name" ;;
  esac
  remove_machine "$name"
  trap - EXIT
  say "[$machine] rehearsed in $((SECONDS - started)) s"
}

main() {
  [ "$(id -u)" -eq 0 ] || die "run as root: debootstrap and a privileged machine need it"
  "$root/scripts/ensure-engine.sh"
  mkdir -p "$REHEARSAL_LOGS"
  local machine
  for machine in "${@:-bookworm}"; do
    rehearse "$machine"
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
