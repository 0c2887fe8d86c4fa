"""Unit-test fixtures: real sockets on localhost, no Docker engine."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _an_images_lock_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The set-up's scripts read and write the user's images.lock, which holds this machine's
    images: a unit test's fake engine gets a lock of its own, empty at first."""
    monkeypatch.setenv("IMAGE_LOCK", str(tmp_path / "images.lock"))


@pytest.fixture
def closed_port() -> int:
    """A localhost port nobody listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """Start a tiny HTTP server answering every GET with (status, body); returns its URL.

    With hang=True it holds each request until the test ends: a server too slow to answer.
    """
    servers: list[ThreadingHTTPServer] = []
    released = threading.Event()

    def start(status: int, body: str, *, hang: bool = False) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if hang:
                    released.wait(timeout=30)
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    released.set()
    for server in servers:
        server.shutdown()
        server.server_close()
