# Stand-in for the official postgres image, built from Debian's PostgreSQL.
# It keeps the official contract: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
# (and *_FILE forms), PGDATA=/var/lib/postgresql/data declared as a VOLUME,
# initialisation only on an empty data directory, password auth over TCP,
# psql and pg_isready on PATH, fast shutdown on SIGTERM's replacement SIGINT, PG_MAJOR
# and PG_VERSION (the Debian package's version) in the environment.
ARG BASE_IMAGE=docker-tutorial.invalid/offline-debian:trixie
FROM ${BASE_IMAGE}

# Both from ensure-images.sh: PG_MAJOR is images.env's POSTGRES_MAJOR, PG_VERSION the version
# Debian has of it; the build fails if another is installed.
ARG PG_MAJOR
ARG PG_VERSION
ENV PG_MAJOR=${PG_MAJOR} \
    PG_VERSION=${PG_VERSION}
# No default cluster: the entrypoint creates one in PGDATA on first start.
# Versions are the suite's current ones (pinning them would break on every security update).
# hadolint ignore=DL3008
RUN { [ -n "$PG_MAJOR" ] && [ -n "$PG_VERSION" ] \
      || { echo "PG_MAJOR and PG_VERSION must be given (scripts/ensure-images.sh does)" >&2; exit 1; }; } \
 && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod +x /usr/sbin/policy-rc.d \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "postgresql-$PG_MAJOR" \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log \
 && installed=$(dpkg-query -W -f '${Version}' "postgresql-$PG_MAJOR") \
 && { [ "$installed" = "$PG_VERSION" ] \
      || { echo "PG_VERSION=$PG_VERSION but Debian installed $installed" >&2; exit 1; }; }

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
