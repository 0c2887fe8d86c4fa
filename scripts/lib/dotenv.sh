# Sourced by the scripts that deploy: what they need to know from .env.

# load_env ROOT: the image names scripts/ensure-images.sh wrote to ROOT/.env, exported; a
# variable already in the environment wins.
load_env() {
  local line name
  [ -r "$1/.env" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    name=${line%%=*}
    [ -n "${!name:-}" ] || export "$name=${line#*=}"
  done <"$1/.env"
}
