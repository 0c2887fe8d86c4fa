#!/usr/bin/env bash
# Makes sure the passwords Compose hands to the services as secrets exist:
#   secrets/db_password          the database superuser's (the db service only)
#   secrets/webapp_db_password   the webapp's own database role's (db and webapp)
# Each is made once, at random, and kept: the database stores it at its first start.
# The folder is the owner's only (0700); the files are readable (0644) because Compose
# bind-mounts them as they are, and the services read them as non-root users.
# Put your own password in a file before the first `make up` to choose it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secrets_dir=${SECRETS_DIR:-$root/secrets}

say() { printf 'ensure-secrets: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The script may run as root: it changes modes only of a folder its user owns and of plain files
# in it, never of what a symbolic link points to (secrets/db_password -> /etc/shadow would
# otherwise be made readable by everyone).
ensure_secrets_dir() {
  [ ! -L "$secrets_dir" ] || die "$secrets_dir is a symbolic link; make it a folder of its own"
  mkdir -p "$secrets_dir"
  [ -O "$secrets_dir" ] || die "$secrets_dir belongs to another user; it is left as it is"
  chmod 700 "$secrets_dir"
}

refuse_anything_but_a_plain_file() {
  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -f "$1" ]; }; then
    die "$1 is not a plain file (a link, a folder or a device); put the password in a plain file"
  fi
}

# ensure_password NAME: secrets/NAME holds a password; a new one is random.
ensure_password() {
  local file="$secrets_dir/$1"
  refuse_anything_but_a_plain_file "$file"
  if [ -s "$file" ]; then
    chmod 644 "$file"
    return 0
  fi
  local new="$file.new.$$"
  (umask 022 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$new")
  # ln fails if the file appeared meanwhile (another run making it at once): that one is kept.
  if ln "$new" "$file" 2>/dev/null; then
    say "created $file (a random password)"
  fi
  rm -f "$new"
}

main() {
  ensure_secrets_dir
  ensure_password db_password
  ensure_password webapp_db_password
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
