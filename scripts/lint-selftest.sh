#!/usr/bin/env bash
# Proves that scripts/lint.sh catches mistakes: in a scratch copy of the project it
# plants one mistake at a time and expects the lint to fail (and the clean copy to pass).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

fresh_copy() {
  rm -rf "$scratch/p" && mkdir -p "$scratch/p"
  (cd "$root" && cp -r Dockerfile .dockerignore api app scripts docker-compose.yml compose.volume.yml \
    compose.dev.yml swarm pyproject.toml .github "$scratch/p/")
  find "$scratch/p" -name __pycache__ -prune -exec rm -rf {} +
}

expect() {  # expect pass|fail DESCRIPTION
  local want=$1 what=$2 got=pass
  bash "$scratch/p/scripts/lint.sh" "$scratch/p" >"$scratch/out" 2>&1 || got=fail
  if [ "$got" = "$want" ]; then
    echo "ok: $what -> lint: $got"
  else
    echo "NOT OK: $what -> lint: $got, expected: $want"; cat "$scratch/out"; failures=$((failures + 1))
  fi
}

fresh_copy
expect pass "the project as it is"

fresh_copy; sed -i 's/^ARG PYTHON_IMAGE=.*/ARG PYTHON_IMAGE=python:latest/' "$scratch/p/Dockerfile"
expect fail "a Dockerfile base image argument defaulting to latest"

fresh_copy; sed -i 's/^FROM .*/FROM python:latest/' "$scratch/p/Dockerfile"
expect fail "a Dockerfile FROM tagged latest (DL3007)"

fresh_copy; sed -i 's/--require-hashes -r requirements.txt/flask/' "$scratch/p/api/Dockerfile"
expect fail "an unpinned pip install in api/Dockerfile (DL3013)"

fresh_copy; sed -i 's/condition: service_healthy/condition: service_ready/' "$scratch/p/docker-compose.yml"
expect fail "an unknown depends_on condition in docker-compose.yml"

fresh_copy; sed -i 's|db-data:/var/lib/postgresql/data|db-missing:/var/lib/postgresql/data|' "$scratch/p/compose.volume.yml"
expect fail "a named volume that compose.volume.yml does not declare"

fresh_copy; sed -i 's/      watch:/      wach:/' "$scratch/p/compose.dev.yml"
expect fail "a misspelt key in compose.dev.yml (make dev)"

fresh_copy; sed -i '0,/      update_config:/s//      update_confg:/' "$scratch/p/swarm/stack.yml"
expect fail "a misspelt key in swarm/stack.yml (the Swarm stack)"

fresh_copy; sed -i '0,/      placement:/s//      placment:/' "$scratch/p/swarm/three-nodes.yml"
expect fail "a misspelt key in swarm/three-nodes.yml (the three nodes' placement)"

fresh_copy; sed -i 's/runs-on: ubuntu-latest/runs_on: ubuntu-latest/' "$scratch/p/.github/workflows/ci.yml"
expect fail "a misspelt key in the CI workflow"

fresh_copy; printf 'import os\n' >> "$scratch/p/app/config.py"
expect fail "an unused import in Python"

[ "$failures" -eq 0 ] || { echo "lint self-test: $failures check(s) did not behave"; exit 1; }
echo "lint self-test: every planted mistake was caught"
