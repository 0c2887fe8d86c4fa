#!/usr/bin/env bash
# The system as a Swarm stack (swarm/stack.yml), on this engine.
#
#   scripts/stack.sh up       what `make stack-up` runs: engine, images, secrets, the project's
#                             images tagged :dev, a one-node swarm if the engine is in none, the
#                             stack deployed; returns once every service has all its replicas
#                             running and healthy
#   scripts/stack.sh down     what `make stack-down` runs: the stack removed, its containers and
#                             networks gone, its volume removed; the swarm left if `up` made it
#   scripts/stack.sh deploy   only the deployment and the wait (a swarm and the images exist)
#   scripts/stack.sh remove   only the removal and the wait (the swarm is kept)
#   scripts/stack.sh build    only the project's images, tagged :dev (or as WEBAPP_IMAGE and API_IMAGE say)
#
#   STACK_NAME   the stack's name (default docker-tutorial)
#   PROXY_PORT   the host port of the proxy (default 8080, like `make up`)
#   WEBAPP_IMAGE, API_IMAGE, NGINX_IMAGE, POSTGRES_IMAGE   the images (default: .env's and :dev)
#   WEBAPP_IMAGE_ID   the webapp image's id (default: read from this engine, which must have it)
#   STACK_OVERLAY     a second stack file merged over swarm/stack.yml (a swarm of several nodes:
#                     swarm/three-nodes.yml); the docker CLI's DOCKER_HOST names the swarm's manager
#
# Idempotent: `up` on a deployed stack updates it; `down` with no stack does nothing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack_file="$root/swarm/stack.yml"
# What `up` records: that it made the swarm, so `down` leaves it (and only then).
state_dir="$root/.stack"
made_swarm_file="$state_dir/swarm-made-by-stack-up"
STACK_NAME=${STACK_NAME:-docker-tutorial}
STACK_WAIT_SECONDS=${STACK_WAIT_SECONDS:-180}
NAMESPACE_LABEL=com.docker.stack.namespace

# shellcheck source=lib/dotenv.sh
. "$root/scripts/lib/dotenv.sh"
# shellcheck source=lib/image-lock.sh
. "$root/scripts/lib/image-lock.sh"

say() { printf 'stack: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

build_project_images() {
  export WEBAPP_IMAGE=${WEBAPP_IMAGE:-docker-tutorial.invalid/webapp:dev} API_IMAGE=${API_IMAGE:-docker-tutorial.invalid/api:dev}
  say "building $WEBAPP_IMAGE and $API_IMAGE"
  local base=${PYTHON_IMAGE:?PYTHON_IMAGE is unset: run scripts/ensure-images.sh}
  docker build -q --build-arg "PYTHON_IMAGE=$base" -t "$WEBAPP_IMAGE" "$root" >/dev/null
  docker build -q --build-arg "PYTHON_IMAGE=$base" -t "$API_IMAGE" "$root/api" >/dev/null
}

swarm_state() { docker info -f '{{.Swarm.LocalNodeState}}'; }
swarm_id() { docker info -f '{{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{end}}'; }

# ensure_swarm: a one-node swarm, advertised on loopback (nothing outside this machine joins it).
# Recorded: the swarm's id (a swarm made later by someone else is not ours to leave) and
# whether `swarm init` made the docker_gwbridge network (`swarm leave` keeps it).
ensure_swarm() {
  [ "$(swarm_state)" = active ] && return 0
  say "the engine is in no swarm: making a one-node swarm"
  local bridge=gwbridge
  docker network inspect docker_gwbridge >/dev/null 2>&1 && bridge=
  # The management port on loopback too: nothing outside this machine joins a one-node swarm.
  docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
  mkdir -p "$state_dir"
  printf '%s\n%s\n' "$(swarm_id)" "$bridge" >"$made_swarm_file"
}

deploy_stack() {
  # The image's id beside its name: a rebuilt image under the same tag is a new spec.
  WEBAPP_IMAGE_ID=${WEBAPP_IMAGE_ID:-$(docker image inspect -f '{{.Id}}' "${WEBAPP_IMAGE:-docker-tutorial.invalid/webapp:dev}")} ||
    die "no image ${WEBAPP_IMAGE:-docker-tutorial.invalid/webapp:dev}: run scripts/stack.sh up, which builds it"
  export WEBAPP_IMAGE_ID
  # The base images by the ids images.lock holds: a name moved since cannot change what runs, and
  # Swarm never pulls an image named by its id (by name, each task's start would try a registry).
  [ -z "${POSTGRES_IMAGE:-}" ] || POSTGRES_IMAGE=$(pinned "$POSTGRES_IMAGE")
  [ -z "${NGINX_IMAGE:-}" ] || NGINX_IMAGE=$(pinned "$NGINX_IMAGE")
  export POSTGRES_IMAGE NGINX_IMAGE
  say "deploying stack $STACK_NAME (proxy on host port ${PROXY_PORT:-8080})"
  docker stack deploy --resolve-image never --prune -c "$stack_file" ${STACK_OVERLAY:+-c "$STACK_OVERLAY"} "$STACK_NAME" >/dev/null
}

# converged: every service of the stack runs all its replicas, and every job (the migrations)
# has completed ("0/1 (1/1 completed)"). A task with a health check counts as running only once
# healthy, so this is also "every replica healthy".
converged() {
  local lines line
  lines=$(docker service ls --filter "label=$NAMESPACE_LABEL=$STACK_NAME" --format '{{.Replicas}}')
  [ -n "$lines" ] || return 1
  while read -r line; do
    # A job's line is "running/wanted (done/to do completed)": only the completions count.
    [[ $line =~ \(([0-9]+)/([0-9]+)\ completed\) || $line =~ ^([0-9]+)/([0-9]+) ]] || return 1
    [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || return 1
  done <<<"$lines"
}

# cannot_converge: why the stack never will, or nothing: a task whose image the engine cannot
# have (the images are there, or pushed, before the deployment: none comes later). Waiting out
# the deadline would only say so later.
cannot_converge() {
  docker stack ps --no-trunc --format '{{.Name}}: {{.Error}}' "$STACK_NAME" 2>/dev/null |
    grep -F 'No such image' | sed 's/$/ (a task cannot get its image)/' | head -n 1 || true
  given_up_jobs
}

# given_up_jobs: each job (the migrations) that failed and has no task left to run: its restart
# policy allowed no more attempts. While Swarm means to try again, a task of the job is in a
# state before its end (new, pending, ready, starting, running...).
given_up_jobs() {
  local job states
  for job in $(docker service ls -q --filter "label=$NAMESPACE_LABEL=$STACK_NAME" 2>/dev/null); do
    [ "$(docker service inspect -f '{{if .Spec.Mode.ReplicatedJob}}job{{end}}' "$job" 2>/dev/null)" = job ] || continue
    states=$(docker service ps --format '{{.CurrentState}}' "$job" 2>/dev/null | awk '{ print $1 }' | sort -u)
    grep -qx Failed <<<"$states" || continue
    grep -qvxE 'Complete|Failed|Shutdown|Rejected|Orphaned|Remove' <<<"$states" && continue
    printf '%s: the job failed and its restart policy allows no more attempts\n' \
      "$(docker service inspect -f '{{.Spec.Name}}' "$job")"
  done
}

wait_until_converged() {
  local deadline=$((SECONDS + STACK_WAIT_SECONDS)) hopeless seen= next_look=0
  until converged; do
    # Why it never will: looked for every 2 s, and believed when seen twice in a row (between a
    # task's failure and its replacement, Swarm has none for a moment).
    if [ $SECONDS -ge $next_look ]; then
      next_look=$((SECONDS + 2))
      hopeless=$(cannot_converge)
      if [ -n "$hopeless" ] && [ "$hopeless" = "$seen" ]; then
        docker stack ps --no-trunc "$STACK_NAME" >&2 || true
        die "stack $STACK_NAME cannot converge: $hopeless"
      fi
      seen=$hopeless
    fi
    if [ $SECONDS -ge $deadline ]; then
      docker stack ps --no-trunc "$STACK_NAME" >&2 || true
      die "stack $STACK_NAME did not converge within ${STACK_WAIT_SECONDS}s"
    fi
    sleep 0.5
  done
  say "stack $STACK_NAME is up: http://localhost:${PROXY_PORT:-8080}/"
}

remove_stack() {
  docker stack ls --format '{{.Name}}' | grep -qxF "$STACK_NAME" || return 0
  say "removing stack $STACK_NAME"
  docker stack rm "$STACK_NAME" >/dev/null
}

# The stack's containers and networks, still there (`docker stack rm` returns before they go).
leftovers() {
  docker ps -aq --filter "label=$NAMESPACE_LABEL=$STACK_NAME"
  docker network ls -q --filter "label=$NAMESPACE_LABEL=$STACK_NAME"
}

wait_until_gone() {
  local deadline=$((SECONDS + STACK_WAIT_SECONDS))
  while [ -n "$(leftovers)" ]; do
    [ $SECONDS -lt $deadline ] || die "stack $STACK_NAME still has containers or networks after ${STACK_WAIT_SECONDS}s"
    sleep 0.5
  done
}

remove_volumes() {
  local volume
  for volume in $(docker volume ls -q --filter "label=$NAMESPACE_LABEL=$STACK_NAME"); do
    docker volume rm "$volume" >/dev/null
  done
}

# leave_swarm_if_made: only a swarm `up` made, and only once no stack is left on it.
leave_swarm_if_made() {
  [ -e "$made_swarm_file" ] || return 0
  if [ "$(swarm_state)" = active ]; then
    [ "$(swarm_id)" = "$(head -n 1 "$made_swarm_file")" ] || {
      say "this swarm is not the one stack-up made: it is kept"
      rm -f "$made_swarm_file"
      return 0
    }
    [ -z "$(docker stack ls --format '{{.Name}}')" ] || {
      say "other stacks remain: the swarm is kept"
      return 0
    }
    say "leaving the swarm stack-up made"
    docker swarm leave --force >/dev/null
  fi
  if [ "$(sed -n 2p "$made_swarm_file")" = gwbridge ]; then
    docker network rm docker_gwbridge >/dev/null 2>&1 || true
  fi
  rm -f "$made_swarm_file"
}

up() {
  "$root/scripts/ensure-images.sh" --proxy
  "$root/scripts/ensure-secrets.sh"
  load_env "$root"
  build_project_images
  ensure_swarm
  deploy
}

deploy() {
  load_env "$root"
  deploy_stack
  wait_until_converged
}

remove() {
  [ "$(swarm_state)" = active ] || return 0
  remove_stack
  wait_until_gone
  remove_volumes
}

down() {
  remove
  leave_swarm_if_made
}

main() {
  case "${1:-}" in
    up | down | deploy | remove) "$1" ;;
    build)
      load_env "$root"
      build_project_images
      ;;
    *) die "usage: scripts/stack.sh up|down|deploy|remove|build" ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
