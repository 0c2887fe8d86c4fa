#!/usr/bin/env bash
# A compact version of the official postgres image's entrypoint, in its shape: small
# named functions, and a main that reads as the table of contents.
set -Eeuo pipefail

# Left in the data directory while the first start initialises it: found at a later
# start, it means that start was interrupted and the directory is to be made again.
INIT_MARKER=docker-entrypoint-init.incomplete

say() { echo "docker-entrypoint: $*"; }
fail() { echo "docker-entrypoint: error: $*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE.
file_env() {
  local var=$1 default=${2:-} file_var="${1}_FILE" value
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    fail "both $var and $file_var are set (they are exclusive)"
  fi
  value=$default
  if [ -n "${!var:-}" ]; then
    value=${!var}
  elif [ -n "${!file_var:-}" ]; then
    [ -r "${!file_var}" ] || fail "$file_var names ${!file_var}, which cannot be read"
    value=$(<"${!file_var}")
  fi
  export "$var"="$value"
  unset "$file_var"
}

# As root: the data and socket directories belong to postgres; then start again as postgres.
create_directories_and_drop_root() {
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
}

# A first start killed midway (during initdb, the database's creation or an init script)
# left a directory that would never get its database: empty it and initialise again.
discard_interrupted_init() {
  if [ -e "$PGDATA/$INIT_MARKER" ]; then
    say "the first start was interrupted before the database was complete; initialising again"
    find "$PGDATA" -mindepth 1 -delete
  fi
}

init_database_directory() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$AUTH_METHOD" != trust ]; then
    fail "the database is uninitialized and no superuser password is given: set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE)"
  fi
  # The marker first; initdb, which wants an empty directory, works in a subdirectory whose
  # contents then move up: a start killed at any point leaves the marker behind.
  touch "$PGDATA/$INIT_MARKER"
  # Every login needs the password, over TCP and over the socket alike.
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of words on purpose
  initdb -D "$PGDATA/initdb.tmp" --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local="$AUTH_METHOD" --auth-host="$AUTH_METHOD" $POSTGRES_INITDB_ARGS
  mv "$PGDATA"/initdb.tmp/* "$PGDATA"/
  rmdir "$PGDATA/initdb.tmp"
  printf '\nhost all all all %s\n' "$AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
}

# A temporary server on the Unix socket only, so no client sees a half-made database.
temp_server_start() {
  export PGPASSWORD=$POSTGRES_PASSWORD
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
}

temp_server_stop() {
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
}

process_sql() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

create_database() {
  if [ "$POSTGRES_DB" != postgres ]; then
    process_sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
}

# /docker-entrypoint-initdb.d, in name order: *.sh run if executable and sourced if not,
# *.sql and *.sql.gz run by psql in POSTGRES_DB, anything else ignored.
process_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)     if [ -x "$f" ]; then say "running $f"; "$f"; else say "sourcing $f"; . "$f"; fi ;;
      *.sql)    say "running $f"; process_sql --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) say "running $f"; gunzip -c "$f" | process_sql --dbname "$POSTGRES_DB" ;;
      *)        if [ -e "$f" ]; then say "ignoring $f"; fi ;;
    esac
  done
}

mark_init_complete() {
  rm -f "$PGDATA/$INIT_MARKER"
  say "PostgreSQL init process complete; ready for start up."
}

main() {
  # `docker run image -c foo=bar` means `postgres -c foo=bar`.
  if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
  fi
  if [ "$1" != postgres ]; then
    exec "$@"
  fi
  if [ "$(id -u)" = 0 ]; then
    create_directories_and_drop_root "$@"
  fi

  setup_env
  discard_interrupted_init
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    init_database_directory
    temp_server_start
    create_database
    process_init_files
    temp_server_stop
    mark_init_complete
  fi
  # The server needs no password: keep it out of its environment (/proc/<pid>/environ).
  unset POSTGRES_PASSWORD
  exec "$@"
}

main "$@"
