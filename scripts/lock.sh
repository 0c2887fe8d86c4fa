#!/usr/bin/env bash
# Refreshes the lock files (exact versions and hashes) from the *.in files.
# One lock serves every supported Python (3.10 to 3.13): --universal writes markers.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-uv}
compile() { "$uv" pip compile --quiet --universal --python-version 3.10 --generate-hashes "$@"; }
compile requirements.in -o requirements.txt
compile api/requirements.in -o api/requirements.txt
# The test lock is held to the runtime locks, so tests run against what the images run.
compile requirements-dev.in --constraint requirements.txt --constraint api/requirements.txt -o requirements-dev.txt
"$uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes requirements-tools.in -o requirements-tools.txt
"$uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes scripts/requirements-compose.in -o scripts/requirements-compose.txt
