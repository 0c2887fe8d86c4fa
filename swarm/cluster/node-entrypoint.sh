#!/bin/sh
# A swarm node's engine (scripts/cluster.sh starts it): dockerd in the foreground, trusting the
# cluster's registry, answering on its own socket and on /node/docker.sock, a folder the host
# mounts, so the host's docker CLI reaches this node (DOCKER_HOST=unix://.../docker.sock).
#
#   TRUSTED_REGISTRY   host:port of the cluster's registry, spoken to over plain HTTP (it is on
#                      the nodes' own network only)
#   SOCKET_GID         the group (id) that may use the sockets: the host's docker group
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

# nest_cgroups: on a cgroup v2 host, the node's own processes leave the root of its cgroup, so
# the engine can make cgroups for its containers with controllers (the Docker project's dind
# script does the same). Nothing to do on cgroup v1.
nest_cgroups() {
  [ -f /sys/fs/cgroup/cgroup.controllers ] || return 0
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control
}

main() {
  nest_cgroups
  trust_registry
  exec dockerd --group="${SOCKET_GID:-0}" --host=unix:///var/run/docker.sock --host=unix:///node/docker.sock
}

main "$@"
