"""gunicorn settings for the webapp container, from the validated settings of app/config.py."""

from __future__ import annotations

import sys

from app.config import ConfigError, load_settings

try:
    _settings = load_settings()
except ConfigError as error:
    # One line naming the setting, and no server: read when gunicorn loads this file, before it forks.
    print(f"configuration error: {error}", file=sys.stderr, flush=True)
    sys.exit(2)

bind = "0.0.0.0:5000"
workers = _settings.web_concurrency
worker_class = "gthread"
threads = _settings.web_threads
# Shorter than Docker's 10 s stop timeout, so `docker stop` ends in a clean exit.
graceful_timeout = 5
timeout = 30
# A tmpfs, so worker heartbeats never wait on a slow or read-only disk.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
# The runtime control socket is not used, and the non-root user has no home to put it in.
control_socket_disable = True
# The same access log line as gunicorn's own, made for far less CPU (app/access_log.py).
logger_class = "app.access_log.CombinedAccessLog"
