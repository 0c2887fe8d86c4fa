# shellcheck shell=bash
# Sourced by backup.sh and restore.sh: the stack's database, reached the way its own services
# reach it. Each needs `die` defined, and runs from the project's folder.

# Inside a one-off container of the db service: the owner's login, for psql, pg_dump and pg_restore.
# shellcheck disable=SC2016 # expanded in the container, not here
readonly LOGIN_AS_OWNER='export PGHOST=db PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB" PGCONNECT_TIMEOUT=10 PGPASSWORD="$(cat /run/secrets/db_password)"'

# db_client SCRIPT: sh runs SCRIPT in a one-off container of the db service (its image has the
# clients), on the stack's internal network, logged in as the database's owner: the password is
# read from the secret file inside that container, never put on a command line. Standard input
# and output are the caller's.
db_client() {
  docker compose run --rm --no-deps -T --entrypoint sh db -c "$LOGIN_AS_OWNER; $1"
}

# require_running_database WHAT: checked first, as `docker compose run` on a stack that is not up
# would make its network for nothing.
require_running_database() {
  [ -n "$(docker compose ps --status running --quiet db)" ] ||
    die "the database of the stack ${COMPOSE_PROJECT_NAME:-docker-tutorial} is not running: start it (make up), then $1"
}
