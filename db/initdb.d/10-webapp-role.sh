#!/usr/bin/env bash
# Run once, when the database is first created (the postgres image's
# /docker-entrypoint-initdb.d/): the webapp's own role. It owns the database, so it may
# create its table, and nothing more: no superuser, no new roles, no new databases.
# Its password is read by psql from the secret file, never put on a command line; line ends
# are dropped, as the webapp drops them.
set -Eeuo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set role="${WEBAPP_DB_USER:?WEBAPP_DB_USER is not set}" \
  --set db="$POSTGRES_DB" \
  --set password_file="${WEBAPP_DB_PASSWORD_FILE:?WEBAPP_DB_PASSWORD_FILE is not set}" <<'SQL'
\set password `tr -d '\r\n' < :'password_file'`
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
ALTER DATABASE :"db" OWNER TO :"role";
SQL
