# Stand-in for the official postgres image, built from Debian's PostgreSQL.
# It keeps the official contract: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
# (and *_FILE forms), PGDATA=/var/lib/postgresql/data declared as a VOLUME,
# initialisation only on an empty data directory, password auth over TCP,
# psql and pg_isready on PATH, fast shutdown on SIGTERM's replacement SIGINT.
ARG BASE_IMAGE=offline/debian:bookworm
FROM ${BASE_IMAGE}

ENV PG_MAJOR=15
# No default cluster: the entrypoint creates one in PGDATA on first start.
# Versions are the suite's current ones (pinning them would break on every security update).
# hadolint ignore=DL3008
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod +x /usr/sbin/policy-rc.d \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "postgresql-$PG_MAJOR" \
 && rm -rf /var/lib/apt/lists/*

ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8

RUN mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql "$PGDATA" \
 && chown postgres:postgres /var/run/postgresql "$PGDATA" \
 && chmod 3777 /var/run/postgresql \
 && chmod 700 "$PGDATA"

COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data

ENTRYPOINT ["docker-entrypoint.sh"]
# PostgreSQL takes SIGTERM as a "smart" shutdown that waits for clients.
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
