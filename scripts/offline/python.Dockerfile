# Stand-in for the official python:*-slim image, built from Debian packages.
# Contract kept: `python` and `pip` on PATH (a virtual environment, since Debian's
# Python refuses system-wide pip installs), pip trusting the host's CA bundle.
ARG BASE_IMAGE=offline/debian:bookworm
FROM ${BASE_IMAGE}

# policy-rc.d keeps package scripts from starting services during the build.
# Versions are the suite's current ones (pinning them would break on every security update).
# hadolint ignore=DL3008
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv

COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt

ENV PATH=/opt/venv/bin:$PATH \
    LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1

CMD ["python3"]
