# A swarm node: a Docker engine of its own, run as a privileged container (scripts/cluster.sh).
# Debian's docker.io of the suite (trixie: Engine 26, the same as the project needs on a host).
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}

# Versions are the suite's current ones (pinning them would break on every security update).
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      docker.io iptables ca-certificates procps \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

COPY node-entrypoint.sh /usr/local/bin/node-entrypoint.sh
# The engine's images and containers: a volume, as overlayfs does not stack on overlayfs.
VOLUME /var/lib/docker
ENTRYPOINT ["node-entrypoint.sh"]
