# Stand-in for the official nginx image, built from Debian's nginx.
# Contract kept: nginx in the foreground as the command, its configuration read from
# /etc/nginx/conf.d/*.conf (Debian's own default site removed, as the official image has
# none but conf.d/default.conf), or a whole /etc/nginx/nginx.conf in its place (with the TCP
# layer, stream, which Debian ships as a module, and the official image's worker user, nginx),
# logs to the container's stdout and stderr, a graceful
# stop on SIGQUIT, NGINX_VERSION in the environment, wget for a health check (the official
# image has BusyBox's), and nginx's own default of naming its version (Debian turns it off in
# nginx.conf; the official image does not, so a site that wants it off must say so itself).
ARG BASE_IMAGE=docker-tutorial.invalid/offline-debian:trixie
FROM ${BASE_IMAGE}

# Debian's nginx package of the suite; ensure-images.sh passes its version (upstream part).
ARG NGINX_VERSION
ENV NGINX_VERSION=${NGINX_VERSION}

# policy-rc.d keeps package scripts from starting services during the build.
# Versions are the suite's current ones (pinning them would break on every security update).
# hadolint ignore=DL3008
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx libnginx-mod-stream wget \
 && useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /etc/nginx/sites-enabled/default \
 && sed -i 's/^\([[:space:]]*\)server_tokens off;/\1# server_tokens off;/' /etc/nginx/nginx.conf \
 && installed=$(dpkg-query -W -f '${Version}' nginx) && installed=${installed#*:} \
 && { [ "${installed%%-*}" = "$NGINX_VERSION" ] \
      || { echo "NGINX_VERSION=$NGINX_VERSION but Debian installed $installed" >&2; exit 1; }; } \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log

EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
