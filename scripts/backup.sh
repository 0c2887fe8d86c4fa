#!/usr/bin/env bash
# Writes a backup of the running stack's database: what `make backup` runs.
#
#   scripts/backup.sh     prints the file it wrote: backups/<UTC time>.dump, e.g.
#                         backups/20261203T140512Z.dump
#
# The dump is pg_dump's custom format (`pg_restore` reads it; scripts/restore.sh loads it),
# consistent by pg_dump's own snapshot: the visits, the count and the id sequence as they were at
# one instant, while the page goes on serving. pg_dump runs in a one-off container of the db
# service, on the stack's internal network, as the database's owner: the password is read from
# the secret file inside that container, never put on a command line or in this environment.
# The dump is written under a temporary name (*.partial) and given its final name only once
# pg_dump exited 0: a file named *.dump is always a whole dump. It is readable by you only (0600).
#
#   BACKUP_DIR             where the dumps go (default: backups/ in the project's folder)
#   COMPOSE_PROJECT_NAME   the stack (default: the Compose file's name, docker-tutorial)
#   COMPOSE_FILE           its Compose files (e.g. docker-compose.yml:compose.volume.yml),
#                          relative to the project's folder
set -Eeuo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The dump's final name, and the temporary one it is written under (main sets both).
final=
partial=

say() { printf 'backup: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=lib/stack-database.sh
. "$root/scripts/lib/stack-database.sh"

# An absolute path, so the folder stays the one meant after `cd "$root"`.
resolve_backup_dir() {
  backup_dir=${BACKUP_DIR:-$root/backups}
  mkdir -p "$backup_dir" || die "cannot make the folder BACKUP_DIR=$backup_dir"
  backup_dir=$(cd "$backup_dir" && pwd)
}

# dump FILE: pg_dump's custom format into FILE; fails when pg_dump does.
dump() {
  db_client 'exec pg_dump --format=custom' >"$1"
}

# keep PARTIAL FINAL: the whole dump under its final name, never over a file of that name
# (ln fails if FINAL exists: a backup made in the same second).
keep() {
  ln "$1" "$2" || die "the dump was not named $2 (ln's message is above); nothing was overwritten"
  rm -f "$1"
}

main() {
  resolve_backup_dir
  cd "$root"
  require_running_database 'back up'

  final="$backup_dir/$(date -u +%Y%m%dT%H%M%SZ).dump"
  partial=$(mktemp "$final.XXXXXX.partial")
  # Whatever ends this script early (a failure, Ctrl-C), the partial file goes with it.
  trap 'rm -f "$partial"' EXIT
  say "dumping the database of the stack ${COMPOSE_PROJECT_NAME:-docker-tutorial}"
  dump "$partial" || die "pg_dump failed (its message is above): no backup was written"
  keep "$partial" "$final"
  say "wrote $final ($(wc -c <"$final") bytes)"
  printf '%s\n' "$final"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
