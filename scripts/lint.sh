#!/usr/bin/env bash
# Lints code, Dockerfiles, Compose files and the CI workflow; fails on the first kind
# that has a finding (all kinds run, so one run shows everything).
# Run from the project's root, or pass another root (the tests plant mistakes in a copy).
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"
status=0
run() { echo "+ $*"; "$@" || status=1; }

run ruff check .
run ruff format --check .
# hadolint's parser does not know HEALTHCHECK's --start-interval (Docker 25; hadolint/hadolint#978):
# it reads a copy of each Dockerfile without that flag, under the same name, so findings name
# the right file and line.
hadolint_without_start_interval() {
  local copies file found=0
  copies=$(mktemp -d)
  for file in "$@"; do
    mkdir -p "$copies/$(dirname "$file")"
    sed -E 's/ --start-interval=[^ ]+//' "$file" >"$copies/$file"
  done
  (cd "$copies" && hadolint --failure-threshold warning "$@") || found=1
  rm -rf "$copies"
  return $found
}
run hadolint_without_start_interval Dockerfile api/Dockerfile scripts/offline/*.Dockerfile swarm/cluster/*.Dockerfile
# hadolint cannot see through `FROM ${ARG}`: the ARG defaults must carry a tag that is not latest.
unpinned_base_image_defaults() {
  ! grep -nE '^ARG [A-Z_]*IMAGE=([^:]*|.*:latest)$' Dockerfile api/Dockerfile
}
run unpinned_base_image_defaults
# Every Compose file a command of the project uses, alone and in the combinations it uses them:
# `make up` and `make down`, the volume that keeps the data, `make dev`; the Swarm stack as
# `docker stack deploy` reads it (scripts/stack.sh), alone and with the three nodes' placement
# (scripts/cluster.sh).
run docker compose -f docker-compose.yml config --quiet
run docker compose -f docker-compose.yml -f compose.volume.yml config --quiet
run docker compose -f docker-compose.yml -f compose.dev.yml config --quiet
stack_config() { docker stack config "${@/#/--compose-file=}" >/dev/null; }
run stack_config swarm/stack.yml
run stack_config swarm/stack.yml swarm/three-nodes.yml
if compgen -G ".github/workflows/*.yml" >/dev/null; then
  run check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
fi
exit $status
