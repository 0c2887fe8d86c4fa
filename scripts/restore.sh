#!/usr/bin/env bash
# Loads a backup (a dump scripts/backup.sh wrote) into the running stack's database: what
# `make restore FILE=backups/<time>.dump` runs.
#
#   scripts/restore.sh FILE           refused if the database has visits
#   FORCE=1 scripts/restore.sh FILE   the database's visits are replaced by the dump's
#
# Refused, with nothing touched: no FILE; a FILE that is not a pg_dump custom archive (it does
# not start with PGDMP, or pg_restore cannot read its table of contents); a stack whose database
# is not running; a database with any visit, unless FORCE=1.
# pg_restore runs in a one-off container of the db service, on the stack's internal network, as
# the database's owner (the password read there from the secret file), the dump on its standard
# input. One transaction (--single-transaction --exit-on-error): a dump cut short fails and leaves
# the database as it was. The dump's tables replace the database's (--clean --if-exists), rows,
# id sequence and count alike, so ids, times and the total are exactly the dump's; they belong to
# the owner (--no-owner), with no grants from the dump (--no-acl). Then the migrate service runs
# once: it brings a dump of an older release to this release's schema and grants the webapp's
# role what a page needs (until then, a second or two, a page answers 503).
#
#   COMPOSE_PROJECT_NAME, COMPOSE_FILE   the stack, as for scripts/backup.sh
set -Eeuo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The dump to load, as an absolute path (require_file sets it).
file=

say() { printf 'restore: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=lib/stack-database.sh
. "$root/scripts/lib/stack-database.sh"

# require_file FILE: sets `file` (absolute: it stays the one meant after `cd "$root"`).
require_file() {
  [ -n "${1:-}" ] || die "no dump named: make restore FILE=backups/<time>.dump (or scripts/restore.sh FILE)"
  [ -f "$1" ] || die "FILE=$1: no such file"
  [ -r "$1" ] || die "FILE=$1: not readable by you"
  file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
}

# A pg_dump custom archive starts with these five bytes.
require_custom_archive_magic() {
  cmp -s -n 5 "$file" <(printf PGDMP) ||
    die "$file is not a pg_dump custom archive (it does not start with PGDMP): make backup writes one"
}

# pg_restore reads the archive's table of contents through: a dump cut short there is refused
# here. (One cut in its data passes, and fails in the restore's transaction.)
# It must also carry the schema's version (alembic_version): the migrate service that follows
# brings the restored schema from there to this release's head. (A dump without it, made by hand
# of a database older than the migrations, would leave the database's own version in place.)
require_readable_archive() {
  local contents
  contents=$(db_client 'exec pg_restore --list' <"$file") ||
    die "$file starts as a pg_dump custom archive, but pg_restore cannot read it (its message is above): cut short, or damaged"
  grep -qE 'TABLE DATA public alembic_version ' <<<"$contents" ||
    die "$file has no schema version (alembic_version): not a dump of this system's database since its migrations; make backup writes one"
}

# has_visits: prints t if the database has any visit, f if none (or no visits table at all).
has_visits() {
  db_client 'exec psql --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1' <<'SQL'
SELECT to_regclass('public.visits') IS NOT NULL AS has_table \gset
\if :has_table
  SELECT EXISTS (SELECT 1 FROM public.visits);
\else
  SELECT false;
\endif
SQL
}

refuse_visits_unless_forced() {
  local answer
  answer=$(has_visits) || die "could not ask the database whether it has visits (the message is above)"
  case "$answer" in
    f) ;;
    t)
      [ "${FORCE:-}" = 1 ] ||
        die "the database has visits, which the restore would replace: nothing was changed. Keep them with make backup first, then run again with FORCE=1 to replace them"
      say "FORCE=1: the database's visits are to be replaced by the dump's"
      ;;
    *) die "could not tell whether the database has visits (it answered '$answer')" ;;
  esac
}

restore_archive() {
  # shellcheck disable=SC2016 # expanded in the container, not here
  db_client 'exec pg_restore --dbname="$PGDATABASE" --clean --if-exists --no-owner --no-acl --single-transaction --exit-on-error' <"$file" ||
    die "the restore of $file failed (pg_restore's message is above): it was one transaction, rolled back, so the database is as it was"
}

# The schema to this release's head (a dump of an older release), the webapp's grants anew.
migrate() {
  docker compose run --rm -T migrate >&2 ||
    die "$file is restored, but the migrate service failed (its log is above): pages fail until \`docker compose run --rm migrate\` succeeds"
}

# The webapp is stopped from the check for visits until migrate has run: no visit is recorded
# after the check (the restore would drop it unasked), and no page is served by a database whose
# grants are not back yet. It is started again however the restore ends, if it was running.
hold_off_the_webapp() {
  [ -n "$(docker compose ps --status running --quiet webapp)" ] || return 0
  trap 'docker compose start webapp >&2 || say "start the webapp again: docker compose start webapp"' EXIT
  docker compose stop webapp >&2
}

main() {
  require_file "${1:-}"
  require_custom_archive_magic
  cd "$root"
  require_running_database 'restore'
  require_readable_archive
  hold_off_the_webapp
  refuse_visits_unless_forced
  say "restoring $file into the database of the stack ${COMPOSE_PROJECT_NAME:-docker-tutorial}"
  restore_archive
  migrate
  say "restored $file"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
