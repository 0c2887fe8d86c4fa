# Sourced by the scripts that read NAME=value files: .env (what they need to know from it) and
# images.env. Such a file is data: a line sets a variable only if its name is one the script
# asked for; its value is taken as written, never evaluated (no $(…), no expansion, no array
# subscript in a name: `${!name}` on `x[$(cmd)]` would run cmd), and a name such as BASH_ENV or
# LD_PRELOAD, which would change what the scripts start, is never taken.

# The names scripts/stack.sh and scripts/cluster.sh take from .env: the image names
# scripts/ensure-images.sh wrote there, and what the stack file substitutes that a user may have
# set for Compose.
DOTENV_NAMES=(PYTHON_IMAGE POSTGRES_IMAGE NGINX_IMAGE DEBIAN_IMAGE WEBAPP_IMAGE API_IMAGE
  POSTGRES_USER POSTGRES_DB WEBAPP_DB_USER PROXY_PORT)

# read_env_file FILE [--export] NAME...: each NAME that FILE sets, unless the environment sets it
# already, set to FILE's value (exported with --export). Other lines are ignored.
read_env_file() {
  local file=$1 export=0 line name wanted
  shift
  [ "${1:-}" = --export ] && { export=1; shift; }
  [ -r "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line == *=* ]] || continue
    name=${line%%=*}
    # Only a name asked for is looked at (with ${!name}, which evaluates a subscript in it).
    for wanted in "$@"; do
      [ "$name" = "$wanted" ] || continue
      [ -z "${!name:-}" ] || continue
      printf -v "$name" '%s' "${line#*=}"
      [ "$export" = 0 ] || export "${name?}"
    done
  done <"$file"
}

# load_env ROOT: DOTENV_NAMES from ROOT/.env, exported; a variable already in the environment wins.
load_env() {
  read_env_file "$1/.env" --export "${DOTENV_NAMES[@]}"
}
