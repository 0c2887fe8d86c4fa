# The cluster's image registry: Debian's docker-registry (the CNCF distribution registry) with
# the official registry image's configuration, answering on port 5000, its storage in a volume.
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}

# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

COPY registry.yml /etc/docker/registry/config.yml
VOLUME /var/lib/docker-registry
EXPOSE 5000
USER docker-registry
CMD ["docker-registry", "serve", "/etc/docker/registry/config.yml"]
