"""gunicorn settings for the webapp container."""

from __future__ import annotations

import os
import sys
from typing import Any

from app.config import ConfigError, load_settings

bind = "0.0.0.0:5000"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
# Shorter than Docker's 10 s stop timeout, so `docker stop` ends in a clean exit.
graceful_timeout = 5
timeout = 30
# A tmpfs, so worker heartbeats never wait on a slow or read-only disk.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
# The runtime control socket is not used, and the non-root user has no home to put it in.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Validate the settings once in the master: a bad value stops start-up with its name."""
    try:
        load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
