#!/bin/sh
# A swarm node's engine (scripts/cluster.sh starts it): dockerd in the foreground, trusting the
# cluster's registry, answering on its own socket and on /node/docker.sock, a folder the host
# mounts, so the host's docker CLI reaches this node (DOCKER_HOST=unix://.../docker.sock).
#
#   TRUSTED_REGISTRY   host:port of the cluster's registry, spoken to over plain HTTP (it is on
#                      the nodes' own network only)
set -eu

# trust_registry: a registry that is no localhost is pulled from over TLS unless it is named
# here; every node must name it, or none of the stack's images can be pulled on it.
trust_registry() {
  mkdir -p /etc/docker
  if [ -n "${TRUSTED_REGISTRY:-}" ]; then
    printf '{"insecure-registries": ["%s"]}\n' "$TRUSTED_REGISTRY" >/etc/docker/daemon.json
  else
    echo '{}' >/etc/docker/daemon.json
  fi
}

# forget_the_last_run: a killed node leaves its engine's pid files and sockets; they stop the
# next engine from starting. /run is a tmpfs in the node, so only the host's folder holds any.
forget_the_last_run() {
  rm -f /node/docker.sock
}

main() {
  trust_registry
  forget_the_last_run
  exec dockerd --host=unix:///var/run/docker.sock --host=unix:///node/docker.sock
}

main "$@"
