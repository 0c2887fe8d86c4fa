# Stand-in for the official python:*-slim image, built from Debian's Python.
# Layout kept: `python`, `python3`, `pip`, `pip3` in /usr/local/bin and packages in
# /usr/local/lib/pythonX.Y/site-packages (a virtual environment rooted at /usr/local, since
# Debian's own Python refuses system-wide pip installs); root installs there, any other
# user into their own ~/.local (the environment sees user sites, as the official image
# does); no .pyc files shipped; PYTHON_VERSION in the environment;
# pip trusting the host's CA bundle (this machine's network needs it).
ARG BASE_IMAGE=docker-tutorial.invalid/offline-debian:trixie
FROM ${BASE_IMAGE}

# Debian's python3 package of the suite; ensure-images.sh passes the version it installs.
ARG PYTHON_VERSION
# Where the official image has its Python: bin/python, lib/pythonX.Y/site-packages.
ARG PYTHON_PREFIX=/usr/local
ENV PYTHON_VERSION=${PYTHON_VERSION} \
    PATH=${PYTHON_PREFIX}/bin:$PATH \
    LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# policy-rc.d keeps package scripts from starting services during the build.
# Versions are the suite's current ones (pinning them would break on every security update).
# hadolint ignore=DL3008
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv python3-gdbm ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log \
 && installed=$(python3 -c 'import platform; print(platform.python_version())') \
 && { [ "$installed" = "$PYTHON_VERSION" ] \
      || { echo "PYTHON_VERSION=$PYTHON_VERSION but Debian installed $installed" >&2; exit 1; }; } \
 && python3 -m venv --system-site-packages "$PYTHON_PREFIX" \
 && rm -f "$PYTHON_PREFIX"/bin/activate* "$PYTHON_PREFIX"/bin/Activate.ps1 \
 && python --version && pip --version \
 && find / -xdev -depth \( -name __pycache__ -o -name '*.pyc' \) -exec rm -rf '{}' +

COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt

CMD ["python3"]
