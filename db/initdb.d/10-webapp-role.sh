#!/usr/bin/env bash
# Run once, when the database is first created (the postgres image's
# /docker-entrypoint-initdb.d/): the webapp's own role, a login and nothing more: no superuser,
# no new roles, no new databases, and owner of nothing. The schema belongs to the database's
# owner (POSTGRES_USER), whose migrate service makes it and grants this role what a page needs.
# Its password is read by psql from the secret file, never put on a command line; line ends
# are dropped, as the webapp drops them.
set -Eeuo pipefail

role=${WEBAPP_DB_USER:?WEBAPP_DB_USER is not set}
# A plain role name, said clearly here rather than by the server after a quoted-identifier surprise.
if [[ ! $role =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
  echo "10-webapp-role.sh: WEBAPP_DB_USER='$role' is not a plain role name (lower-case letters, digits and _)" >&2
  exit 1
fi

# log_min_error_statement = panic: should CREATE ROLE fail (a name already taken), the server
# logs why, but not the statement, which holds the password.
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set role="$role" \
  --set password_file="${WEBAPP_DB_PASSWORD_FILE:?WEBAPP_DB_PASSWORD_FILE is not set}" <<'SQL'
SET log_min_error_statement = panic;
\set password `tr -d '\r\n' < :'password_file'`
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SQL
