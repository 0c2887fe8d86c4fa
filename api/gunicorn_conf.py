"""gunicorn settings for the api container."""

import os

bind = "0.0.0.0:5001"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads keep a connection open between requests (sync workers close each one), so the
# webapp's pooled connection to the api is reused instead of made anew for every page.
worker_class = "gthread"
threads = 4
keepalive = 75
# Shorter than Docker's 10 s stop timeout, so `docker stop` ends in a clean exit.
graceful_timeout = 5
worker_tmp_dir = "/dev/shm"
# No access log: every request to the api is one page of the webapp, which logs it. Writing
# each one twice cost the page about a tenth of its throughput under load (make bench).
# Errors are still logged; GUNICORN_CMD_ARGS="--access-logfile -" turns it back on.
accesslog = None
# The runtime control socket is not used, and the non-root user has no home to put it in.
control_socket_disable = True
