#!/usr/bin/env bash
# The Swarm stack on three nodes, all on this machine: each node a Docker engine of its own in a
# privileged container (swarm/cluster/node.Dockerfile), the three on one network of their own,
# all three managers (a Raft quorum that survives the loss of one), with an image registry
# beside them (Debian's docker-registry) that every node trusts and pulls the stack's images
# from, as the nodes of a real swarm do.
#
#   scripts/cluster.sh up     what `make cluster-up` runs: images, registry, nodes, swarm, the
#                             images pushed, swarm/stack.yml deployed with swarm/three-nodes.yml;
#                             returns once every service runs all its replicas, healthy
#   scripts/cluster.sh down   what `make cluster-down` runs: nodes, registry, their volumes and
#                             network removed; nothing of the cluster is left on this engine
#   scripts/cluster.sh reset  a cluster made before, whole again and without its stack (every
#                             node running, Ready and a reachable manager): the next `up` deploys
#                             afresh on the same nodes
#   scripts/cluster.sh env    prints `export DOCKER_HOST=...` for the docker CLI to talk to the
#                             swarm: (eval "$(scripts/cluster.sh env)"; docker node ls)
#
# The nodes: node1 (labels edge and db: its port 8080 is published on the host and the stack's
# proxy runs there; the database and its volume too), node2 and node3 (the swarm is made on
# node3, so it is the first leader). Every node has a `zone` label of its own; the webapp's and
# the api's replicas are spread over the zones. node2 and node3 can be drained or lost while
# the stack serves.
#
#   CLUSTER_NAME   names its containers, volumes, network and socket folder (default
#                  docker-tutorial-cluster); two clusters of different names can run at once
#   CLUSTER_SOCKETS the folder of the nodes' sockets (default ${TMPDIR:-/tmp}/$CLUSTER_NAME): it
#                  must be yours and writable by you alone, else nothing starts (own_folder)
#   CLUSTER_PORT   the host port (on 127.0.0.1) of the stack's proxy (default 8090; 0: any free one);
#                  chosen when the nodes are made (`down` first to change it)
#   WEBAPP_IMAGE, API_IMAGE   the project's images on this engine (default: built and tagged :dev)
#   CLUSTER_WAIT_SECONDS      how long the deployment may take to converge (default 180)
#   CLUSTER_LABELS            more labels (KEY=VALUE, space-separated) for everything it makes
#                             (the test suite's session, whose sweep then removes what a killed
#                             run left)
#
# Idempotent: `up` on a running cluster deploys the stack again; `down` with none does nothing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_NAME=${CLUSTER_NAME:-docker-tutorial-cluster}
CLUSTER_PORT=${CLUSTER_PORT:-8090}
CLUSTER_LABEL=org.example.cluster
NODES=(node1 node2 node3)
EDGE_NODE=node1
DB_NODE=node1
FIRST_MANAGER=node3
# Three managers: a Raft quorum (two of three) survives the loss of any one. With two, the loss
# of either leaves no quorum and no leader.
MANAGERS=(node1 node2 node3)
# How the nodes name the registry: its alias on their network, on its own port.
REGISTRY=registry:5000
# The proxy's port on the edge node (published there in host mode), which the node publishes
# on the host.
NODE_PROXY_PORT=8080
# Where the nodes' engines answer the host's docker CLI: a folder per node, mounted into it.
SOCKETS=${CLUSTER_SOCKETS:-${TMPDIR:-/tmp}/$CLUSTER_NAME}
CLUSTER_WAIT_SECONDS=${CLUSTER_WAIT_SECONDS:-180}
# The host's engine runs the nodes: a shell that `env` pointed at a node must not point this at it.
case "${DOCKER_HOST:-}" in "unix://$SOCKETS/"*) unset DOCKER_HOST ;; esac

# shellcheck source=lib/dotenv.sh
. "$root/scripts/lib/dotenv.sh"

# Every container, volume and network of the cluster carries these.
LABELS=(--label "$CLUSTER_LABEL=$CLUSTER_NAME")
read -ra extra_labels <<<"${CLUSTER_LABELS:-}"
for extra in "${extra_labels[@]}"; do LABELS+=(--label "$extra"); done

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

node_container() { echo "$CLUSTER_NAME-$1"; }
node_socket() { echo "$SOCKETS/$1/docker.sock"; }
# on NODE COMMAND...: the docker CLI, talking to NODE's engine.
on() { DOCKER_HOST="unix://$(node_socket "$1")" docker "${@:2}"; }

# --- images ------------------------------------------------------------------------------------

# ensure_images: the base images (and the Debian one the nodes and the registry are built on),
# the project's images, and the node's and the registry's.
ensure_images() {
  "$root/scripts/ensure-images.sh" --cluster
  "$root/scripts/ensure-secrets.sh"
  load_env "$root"
  if [ -z "${WEBAPP_IMAGE:-}" ] || [ -z "${API_IMAGE:-}" ]; then
    export WEBAPP_IMAGE=${WEBAPP_IMAGE:-docker-tutorial.invalid/webapp:dev} API_IMAGE=${API_IMAGE:-docker-tutorial.invalid/api:dev}
    "$root/scripts/stack.sh" build
  fi
  local image
  for image in node registry; do
    docker build -q --build-arg "BASE_IMAGE=${DEBIAN_IMAGE:?run scripts/ensure-images.sh --cluster}" \
      -f "$root/swarm/cluster/$image.Dockerfile" -t "docker-tutorial.invalid/cluster-$image:dev" \
      "$root/swarm/cluster" >/dev/null
  done
}

# --- the machines: a network, a registry, three engines ------------------------------------------

# make_network: a network with a subnet of its own (the nodes keep their addresses when they are
# restarted: a swarm's managers know each other by address); the first free 10.213.N.0/24.
make_network() {
  docker network inspect "$CLUSTER_NAME" >/dev/null 2>&1 && return 0
  local n output
  for n in $(seq 0 255 | shuf); do
    # Dynamic addresses (the registry's) from the upper half: the nodes' fixed ones stay free.
    output=$(docker network create "${LABELS[@]}" --subnet "10.213.$n.0/24" --ip-range "10.213.$n.128/25" \
      "$CLUSTER_NAME" 2>&1) && return 0
    [[ $output == *overlap* ]] || die "docker network create $CLUSTER_NAME failed: $output"
  done
  die "no free subnet in 10.213.0.0/16 for the cluster's network"
}

subnet_prefix() {
  docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$CLUSTER_NAME" | sed 's/\.0\/24$//'
}

node_address() { echo "$(subnet_prefix).1${1#node}"; }

# start_if_made NAME: a container made by an earlier `up` is started if it is stopped (a
# rebooted host); false if there is none.
start_if_made() {
  docker container inspect "$1" >/dev/null 2>&1 || return 1
  docker start "$1" >/dev/null
}

start_registry() {
  local name
  name=$(node_container registry)
  start_if_made "$name" && return 0
  # Published on the host's loopback only, where the host pushes (a registry on 127.0.0.1 needs
  # no trust set up in the host's engine).
  docker volume create "${LABELS[@]}" "$name-data" >/dev/null
  docker run -d -q --name "$name" "${LABELS[@]}" \
    --network "$CLUSTER_NAME" --network-alias "${REGISTRY%:*}" -p 127.0.0.1::5000 \
    -v "$name-data:/var/lib/docker-registry" docker-tutorial.invalid/cluster-registry:dev >/dev/null
}

# socket_group: the group that may use the nodes' sockets on the host: the host's docker group,
# so whoever may use the host's engine may use the nodes' (root only where there is none).
socket_group() { getent group docker | cut -d: -f3 | grep . || echo 0; }

# own_folder DIR: DIR made, or found, a folder (no link) that this user owns and no one else may
# write to; anything else is refused, naming it. The sockets' folder has a name anyone can guess:
# another user who made it first could swap a node's socket for a listener of their own, and the
# host's CLI would send it the swarm's join token and, through `docker secret create`, the
# database's passwords. (Such a user can still make the name unusable: CLUSTER_SOCKETS moves it.)
own_folder() {
  local dir=$1 owner mode
  [ -L "$dir" ] || (umask 022 && mkdir -p "$dir" 2>/dev/null) || true
  [ -d "$dir" ] && [ ! -L "$dir" ] || die "$dir is not a folder of its own (a link, or a file): remove it, or set CLUSTER_SOCKETS to another folder"
  read -r owner mode < <(stat -c '%u %a' "$dir")
  [ "$owner" = "$(id -u)" ] || die "$dir belongs to the user with uid $owner, not to you: another user may have made it to take the nodes' sockets; remove it, or set CLUSTER_SOCKETS to another folder"
  ((8#$mode & 8#022)) && die "$dir may be written to by others (mode $mode): anyone could swap a node's socket there; remove it, or set CLUSTER_SOCKETS to another folder"
  return 0
}

# start_node NODE: a privileged container running an engine, at a fixed address.
start_node() {
  local node=$1 name
  name=$(node_container "$node")
  start_if_made "$name" && return 0
  own_folder "$SOCKETS"
  own_folder "$SOCKETS/$node"
  local -a publish=()
  if [ "$node" = "$EDGE_NODE" ]; then
    local host_port=$CLUSTER_PORT
    [ "$host_port" != 0 ] || host_port= # any free port
    publish=(-p "127.0.0.1:$host_port:$NODE_PROXY_PORT")
  fi
  # An engine inside needs the privileges of one and a /var/lib/docker that is no overlayfs;
  # /run a tmpfs, so a killed node's pid files do not stop its next start.
  docker volume create "${LABELS[@]}" "$name-var-lib-docker" >/dev/null
  docker run -d -q --name "$name" --hostname "$node" "${LABELS[@]}" \
    --network "$CLUSTER_NAME" --ip "$(node_address "$node")" "${publish[@]}" \
    --privileged --init --tmpfs /run \
    -v "$name-var-lib-docker:/var/lib/docker" -v "$SOCKETS/$node:/node" \
    -e TRUSTED_REGISTRY="$REGISTRY" \
    -e SOCKET_GID="$(socket_group)" \
    docker-tutorial.invalid/cluster-node:dev >/dev/null
}

wait_for_engines() {
  local node deadline=$((SECONDS + 60))
  for node in "${NODES[@]}"; do
    until on "$node" info >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || { docker logs --tail 20 "$(node_container "$node")" >&2; die "the engine of $node did not answer within 60s"; }
      sleep 0.2
    done
  done
}

# --- the swarm ---------------------------------------------------------------------------------

swarm_state() { on "$1" info -f '{{.Swarm.LocalNodeState}}'; }

# form_swarm: made on the first manager; each other node joins it (as a manager if MANAGERS
# names it) unless it is in it already.
form_swarm() {
  [ "$(swarm_state "$FIRST_MANAGER")" = active ] ||
    on "$FIRST_MANAGER" swarm init --advertise-addr "$(node_address "$FIRST_MANAGER")" >/dev/null
  local node role
  for node in "${NODES[@]}"; do
    [ "$(swarm_state "$node")" = active ] && continue
    role=worker
    [[ " ${MANAGERS[*]} " == *" $node "* ]] && role=manager
    on "$node" swarm join --advertise-addr "$(node_address "$node")" \
      --token "$(on "$FIRST_MANAGER" swarm join-token -q "$role")" "$(node_address "$FIRST_MANAGER"):2377" >/dev/null
  done
}

# label_nodes: the roles' labels, and every node active (a drained one takes tasks again).
label_nodes() {
  local node
  for node in "${NODES[@]}"; do
    on "$EDGE_NODE" node update --availability active --label-add "zone=${node#node}" "$node" >/dev/null
  done
  on "$EDGE_NODE" node update --label-add edge=true "$EDGE_NODE" >/dev/null
  on "$EDGE_NODE" node update --label-add db=true "$DB_NODE" >/dev/null
}

# wait_for_managers: all three nodes Ready and reachable managers (a restarted one rejoins).
wait_for_managers() {
  local deadline=$((SECONDS + CLUSTER_WAIT_SECONDS)) ready
  while :; do
    ready=$(on "$EDGE_NODE" node ls --format '{{.Status}} {{.ManagerStatus}}' 2>/dev/null |
      grep -cE '^Ready (Leader|Reachable)$' || true)
    [ "$ready" = "${#NODES[@]}" ] && return 0
    [ $SECONDS -lt $deadline ] || die "the nodes are not all Ready managers after ${CLUSTER_WAIT_SECONDS}s"
    sleep 0.5
  done
}

# push_images: the stack's images into the registry, through its port on the host's loopback;
# each one's digest, as this push reported it, kept in PINNED: the stack names the images by it
# (registry:5000/<the same name>@sha256:...). The registry has no accounts, so any local user
# may push a tag there; a node pulling by tag at a task's start would run whatever was pushed
# last, with the stack's secrets. By digest it runs what this push sent, or nothing.
declare -A PINNED
push_images() {
  local port image output digest
  port=$(docker port "$(node_container registry)" 5000/tcp | head -n 1 | sed 's/.*://')
  for image in "$WEBAPP_IMAGE" "$API_IMAGE" "${POSTGRES_IMAGE:?}" "${NGINX_IMAGE:?}"; do
    docker tag "$image" "127.0.0.1:$port/$image"
    output=$(docker push "127.0.0.1:$port/$image" 2>&1) || {
      docker image rm "127.0.0.1:$port/$image" >/dev/null
      die "pushing $image to the cluster's registry failed: ${output##*$'\n'}"
    }
    docker image rm "127.0.0.1:$port/$image" >/dev/null
    digest=$(sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p' <<<"$output" | tail -n 1)
    [ -n "$digest" ] || die "pushing $image to the cluster's registry reported no digest: $output"
    PINNED[$image]="$REGISTRY/$image@$digest"
  done
}

# deploy_stack: swarm/stack.yml with swarm/three-nodes.yml, through scripts/stack.sh, on the
# edge node's engine, the images named as the nodes find them in the registry, by digest.
deploy_stack() {
  local webapp_id
  webapp_id=$(docker image inspect -f '{{.Id}}' "$WEBAPP_IMAGE")
  DOCKER_HOST="unix://$(node_socket "$EDGE_NODE")" \
    STACK_NAME=tutorial STACK_OVERLAY="$root/swarm/three-nodes.yml" STACK_WAIT_SECONDS="$CLUSTER_WAIT_SECONDS" \
    PROXY_PORT="$NODE_PROXY_PORT" WEBAPP_IMAGE_ID="$webapp_id" \
    WEBAPP_IMAGE="${PINNED[$WEBAPP_IMAGE]}" API_IMAGE="${PINNED[$API_IMAGE]}" \
    POSTGRES_IMAGE="${PINNED[$POSTGRES_IMAGE]}" NGINX_IMAGE="${PINNED[$NGINX_IMAGE]}" \
    "$root/scripts/stack.sh" deploy
}

proxy_url() {
  echo "http://$(docker port "$(node_container "$EDGE_NODE")" "$NODE_PROXY_PORT/tcp" | head -n 1)/"
}

# --- commands ----------------------------------------------------------------------------------

up() {
  ensure_images
  make_network
  start_registry
  local node
  for node in "${NODES[@]}"; do
    start_node "$node"
  done
  wait_for_engines
  form_swarm
  label_nodes
  say "pushing the stack's images into the cluster's registry"
  push_images
  deploy_stack
  say "three nodes serve the stack: $(proxy_url) (eval \"\$(scripts/cluster.sh env)\"; docker node ls)"
}

# reset: a cluster an earlier `up` made, whole again (every node running, Ready, a reachable
# manager) and without its stack or the stack's volumes: the next `up` deploys it afresh. The
# planted-mistake runner keeps one cluster for the mistakes that leave the nodes' recipe alone.
reset() {
  docker container inspect "$(node_container "$EDGE_NODE")" >/dev/null 2>&1 || return 0
  local node
  for node in registry "${NODES[@]}"; do
    start_if_made "$(node_container "$node")" || die "the cluster $CLUSTER_NAME has no $node: run down, then up"
  done
  wait_for_engines
  wait_for_managers
  DOCKER_HOST="unix://$(node_socket "$EDGE_NODE")" STACK_NAME=tutorial STACK_WAIT_SECONDS="$CLUSTER_WAIT_SECONDS" \
    "$root/scripts/stack.sh" remove
}

down() {
  docker ps -aq --filter "label=$CLUSTER_LABEL=$CLUSTER_NAME" | xargs -r docker rm -f -v >/dev/null
  docker volume ls -q --filter "label=$CLUSTER_LABEL=$CLUSTER_NAME" | xargs -r docker volume rm -f >/dev/null
  docker network rm "$CLUSTER_NAME" >/dev/null 2>&1 || true
  rm -f "$SOCKETS"/node*/docker.sock
  rmdir "$SOCKETS"/node* "$SOCKETS" 2>/dev/null || true
}

print_env() {
  echo "export DOCKER_HOST=unix://$(node_socket "$EDGE_NODE")  # 'unset DOCKER_HOST' to talk to this machine's engine again"
}

main() {
  case "${1:-}" in
    up | down | reset) "$1" ;;
    env) print_env ;;
    *) die "usage: scripts/cluster.sh up|down|reset|env" ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
