"""`python -m app.serve`: the container's command. Validates the settings, then runs granian.

granian's HTTP layer (Rust, hyper) reads each request, headers and all, off the socket before a
Python thread sees it: a client that sends slowly, or sends half a request and goes quiet, holds
a socket and nothing more. (gunicorn's threaded worker read the rest of a request in one of its
few request threads, with no deadline: a handful of such sockets took the page down.)
"""

from __future__ import annotations

import argparse
import sys

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server import MPServer

from app.config import ConfigError, Settings, load_settings

# The port inside the container, on every interface: only that is reachable through a published port.
ADDRESS, PORT = "0.0.0.0", 5000
# A request half sent is dropped after this long (hyper's deadline for the whole header).
HEADER_READ_TIMEOUT_MS = 10_000
# Shorter than Docker's 10 s stop timeout, so `docker stop` ends in a clean exit.
GRACEFUL_TIMEOUT_S = 5


def server(settings: Settings, address: str = ADDRESS, port: int = PORT) -> MPServer:
    """granian serving create_app() with the settings' workers and request threads."""
    # Worker processes: the interpreter has a GIL, so threads alone would use one core.
    return MPServer(
        "app:create_app",
        factory=True,
        address=address,
        port=port,
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,
        websockets=False,
        workers=settings.web_concurrency,
        # The WSGI app runs on these threads, one request each: the database pool is sized to them.
        blocking_threads=settings.web_threads,
        # Not bounded to the threads: granian counts a connection still sending its request here,
        # so a bound that small would let a few slow sockets shut every other client out.
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
        # The app writes its own access line (app/access_log.py).
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_TIMEOUT_S,
    )


def _bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return host, int(port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--bind", type=_bind, default=(ADDRESS, PORT), help=f"HOST:PORT (default {ADDRESS}:{PORT})")
    address, port = parser.parse_args(argv).bind
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    # One line of what the process runs with, defaults included (the database's password left out).
    print("settings: " + " ".join(f"{k}={v}" for k, v in settings.resolved().items()), file=sys.stderr, flush=True)
    server(settings, address, port).serve()


if __name__ == "__main__":
    main()
