#!/usr/bin/env bash
# Loads a backup (a dump scripts/backup.sh wrote) into the running stack's database: what
# `make restore FILE=backups/<time>.dump` runs.
#
#   scripts/restore.sh FILE           refused if the database has visits
#   FORCE=1 scripts/restore.sh FILE   the database's visits are replaced by the dump's
#
# A dump is read as data. A pg_dump archive holds SQL, and a table's CHECK or index may call a
# function that does anything its caller may: loaded as the database's owner (a superuser), a
# hostile dump could make the webapp's role a superuser or run programs on the server. So the
# dump is loaded first into a throwaway server (a container of the db image with no network, no
# secret and no volume of the stack's, removed afterwards), where whatever it holds runs with
# nothing to reach; from there only the visits' columns are read, as rows, and the stack's own
# schema (its migrations') takes them in one transaction: the visits are replaced, the count
# follows from its triggers, the id sequence goes on after the last id. Nothing else of the
# dump's (tables, functions, roles, grants) reaches the stack's database.
#
# Refused, with nothing touched: no FILE; a FILE that is not a pg_dump custom archive (it does
# not start with PGDMP, or pg_restore cannot read its table of contents); a stack whose database
# is not running; a dump that does not load whole (cut short in its data); a dump without the
# schema's version (alembic_version) or with one this release's migrations do not know (a newer
# release's: its columns could be more than these); a database with any visit, unless FORCE=1.
#
#   COMPOSE_PROJECT_NAME, COMPOSE_FILE   the stack, as for scripts/backup.sh
#   RESTORE_LABELS   more labels (KEY=VALUE, space-separated) for the throwaway server (the test
#                    suite's session, whose sweep then removes one a killed restore left)
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

# The throwaway server: its container, and the password made for it (never the stack's).
sandbox=
sandbox_password=
# The label that names it, with the stack's name: what a restore killed hard left is found by it.
readonly SANDBOX_LABEL=org.example.restore-sandbox
# The dump's visits, as rows (a private temporary file, removed at the end).
rows=

# in_sandbox COMMAND...: COMMAND in the throwaway server's container, logged in to its database.
in_sandbox() {
  docker exec -i -e PGPASSWORD="$sandbox_password" -e PGHOST=127.0.0.1 -e PGUSER=restore -e PGDATABASE=restore \
    "$sandbox" "$@"
}

# start_sandbox: a server of the image the stack's database runs, on no network, with the
# stack's database service's own bounds; returns once it answers over TCP (over its socket it
# answers during its first initialisation already).
start_sandbox() {
  local image label deadline=$((SECONDS + 60))
  image=$(docker inspect -f '{{.Image}}' "$(docker compose ps -q db)") || die "could not tell which image the stack's database runs"
  sandbox_password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  local -a labels=(--label "$SANDBOX_LABEL=${COMPOSE_PROJECT_NAME:-docker-tutorial}") extra
  read -ra extra <<<"${RESTORE_LABELS:-}"
  for label in "${extra[@]}"; do labels+=(--label "$label"); done
  sandbox=$(docker run -d --network none "${labels[@]}" \
    --cap-drop ALL --cap-add CHOWN --cap-add FOWNER --cap-add SETGID --cap-add SETUID \
    --security-opt no-new-privileges --memory 512m --pids-limit 256 \
    -e POSTGRES_USER=restore -e POSTGRES_DB=restore -e POSTGRES_PASSWORD="$sandbox_password" "$image") ||
    die "could not start a throwaway server of the database's image to read $file in"
  until in_sandbox pg_isready --quiet 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { docker logs --tail 20 "$sandbox" >&2; die "the throwaway server did not answer within 60 s"; }
    sleep 0.2
  done
}

remove_sandbox() {
  [ -z "$sandbox" ] || docker rm -f -v "$sandbox" >/dev/null 2>&1 || say "remove the throwaway server by hand: docker rm -f -v $sandbox"
  [ -z "$rows" ] || rm -f "$rows"
}

# pg_restore reads the archive's table of contents through (in the throwaway server's container:
# nothing of the stack's is there for a damaged archive to reach): a dump cut short there is
# refused here.
require_readable_archive() {
  in_sandbox pg_restore --list <"$file" >/dev/null ||
    die "$file starts as a pg_dump custom archive, but pg_restore cannot read it (its message is above): cut short, or damaged"
}

# load_into_sandbox: the whole dump into the throwaway server, in one transaction: whatever it
# holds runs there, with nothing to reach.
load_into_sandbox() {
  in_sandbox pg_restore --dbname=restore --no-owner --no-acl --exit-on-error <"$file" ||
    die "$file does not load whole (pg_restore's message is above): cut short or damaged; the stack's database was not touched"
}

# The revisions this release's migrations know (app/migrations/versions/).
known_revisions() { sed -n 's/^revision = "\([0-9A-Za-z_]*\)"$/\1/p' "$root"/app/migrations/versions/*.py; }

# The dump's schema version (alembic_version), which must be one this release's migrations know:
# the restore reads the visits' columns as they are at those versions.
require_known_version() {
  local version
  version=$(in_sandbox psql --no-psqlrc -Atc 'SELECT version_num FROM public.alembic_version' 2>/dev/null) ||
    die "$file has no schema version (alembic_version): not a dump of this system's database since its migrations; make backup writes one"
  grep -qxF -- "$version" <(known_revisions) ||
    die "$file is at schema version '$version', which this release's migrations do not know (a newer release's dump?): restore it with that release"
}

# read_visits: the dump's visits, as rows (id, time, request id where its schema had one).
read_visits() {
  local request_id=NULL
  if [ "$(in_sandbox psql --no-psqlrc -Atc "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass('public.visits') AND attname = 'request_id' AND NOT attisdropped")" = 1 ]; then
    request_id=request_id
  fi
  rows=$(umask 077 && mktemp)
  in_sandbox psql --no-psqlrc -v ON_ERROR_STOP=1 -Atc \
    "COPY (SELECT id, visited_at, $request_id FROM public.visits ORDER BY id) TO STDOUT" >"$rows" ||
    die "could not read the visits of $file (the message is above)"
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

# replace_visits: in one transaction, the stack's visits replaced by the dump's rows. COPY takes
# them as data, typed by the stack's own table (the count follows from its triggers; TRUNCATE
# empties it); the id sequence goes on after the last id.
replace_visits() {
  db_client 'exec psql --no-psqlrc -v ON_ERROR_STOP=1 --quiet --single-transaction -c "TRUNCATE visits" -c "COPY visits (id, visited_at, request_id) FROM STDIN" -c "SELECT setval('"'"'visits_id_seq'"'"', COALESCE(max(id), 1), max(id) IS NOT NULL) FROM visits" >/dev/null' <"$rows" ||
    die "the visits of $file could not be written (the message is above): it was one transaction, rolled back, so the database is as it was"
}

# The webapp is stopped from the check for visits until the visits are replaced: no visit is
# recorded after the check (the restore would drop it unasked). It is started again however the
# restore ends, if it was running.
held_off=
hold_off_the_webapp() {
  [ -n "$(docker compose ps --status running --quiet webapp)" ] || return 0
  held_off=1
  docker compose stop webapp >&2
}

start_the_webapp_again() {
  [ -z "$held_off" ] || docker compose start webapp >&2 || say "start the webapp again: docker compose start webapp"
}

# However the restore ends: the throwaway server gone, the webapp serving again if it was.
finish() {
  remove_sandbox
  start_the_webapp_again
}

main() {
  require_file "${1:-}"
  require_custom_archive_magic
  cd "$root"
  require_running_database 'restore'
  trap finish EXIT
  start_sandbox
  require_readable_archive
  load_into_sandbox
  require_known_version
  read_visits
  hold_off_the_webapp
  refuse_visits_unless_forced
  say "restoring the visits of $file into the database of the stack ${COMPOSE_PROJECT_NAME:-docker-tutorial}"
  replace_visits
  say "restored $file: $(wc -l <"$rows") visit(s)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
