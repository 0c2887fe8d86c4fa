"""Chapter 17. The Swarm stack's reverse proxy on its own: the stack's nginx image with the
stack's swarm/nginx.conf, in front of a stand-in webapp that echoes what reaches it, on an
ordinary network (Docker's DNS answers there as on an overlay). The one service exposed
beyond the machine names no nginx version and no internal address in its headers, gives each
request an id of its own, and drops the connections of a client that stalls."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator

import pytest
import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

from tests.support.containers import url
from tests.support.diagnostics import LoggedContainer
from tests.support.environment import ROOT, Images
from tests.support.slow_clients import answered_or_closed, held_connections
from tests.support.waiting import wait_for_http, wait_until

pytestmark = pytest.mark.security

# A "webapp" that answers every GET with the X-Request-Id it received (/client: the
# X-Forwarded-For), and a 200.
_ECHO_WEBAPP = """
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        header = "X-Forwarded-For" if self.path == "/client" else "X-Request-Id"
        body = (self.headers.get(header) or "-").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("0.0.0.0", 5000), Echo)
print("echo webapp ready", flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def proxy(images: Images) -> Iterator[DockerContainer]:
    """The proxy as the stack runs it (its image, its configuration), published on a host port,
    on a network of its own shared by this chapter's scenarios."""
    with Network() as network, _proxy_on(network, images) as nginx:
        yield nginx


@contextlib.contextmanager
def _proxy_on(network: Network, images: Images) -> Iterator[DockerContainer]:
    echo = (
        LoggedContainer(images.python)
        .with_command(["python", "-c", _ECHO_WEBAPP])
        .with_network(network)
        .with_network_aliases("webapp")
        .waiting_for(LogMessageWaitStrategy("echo webapp ready"))
    )
    nginx = (
        LoggedContainer(images.nginx)
        .with_network(network)
        .with_volume_mapping(str(ROOT / "swarm" / "nginx.conf"), "/etc/nginx/nginx.conf", "ro")
        .with_exposed_ports(80)
    )
    with echo, nginx:
        wait_for_http(url(nginx, 80), timeout=30)
        yield nginx


def _port(proxy: DockerContainer) -> int:
    return int(proxy.get_exposed_port(80))


def test_answers_name_no_nginx_version_and_no_address_inside(proxy: DockerContainer) -> None:
    """The proxy's answers say "nginx" and no version, and no header names the address of
    the webapp task that served them."""
    answer = requests.get(url(proxy, 80), timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Server"] == "nginx"
    inside = re.compile(r"\b(?:10|172|192)\.\d+\.\d+\.\d+|:5000\b")
    assert [f"{k}: {v}" for k, v in answer.headers.items() if inside.search(v)] == []


def test_each_request_gets_an_id_of_the_proxys_own(proxy: DockerContainer) -> None:
    """Every request reaches the webapp with an X-Request-Id the proxy gave it (32 hex
    digits, a new one per request): an id a client sends is replaced, so a client cannot make
    the webapp take two visits for one."""
    chosen = {"X-Request-Id": "0123456789abcdef0123456789abcdef"}
    ids = [requests.get(url(proxy, 80), headers=chosen, timeout=10).text for _ in range(3)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids), ids
    assert len(set(ids)) == 3
    assert chosen["X-Request-Id"] not in ids


def test_slow_clients_are_dropped_and_one_client_holds_at_most_64_requests(proxy: DockerContainer) -> None:
    """64 connections that send half a request's headers and go quiet do not stop another
    request from being answered 200. Of 65 that send a request's headers but never its body,
    the proxy holds at most 64 (as many requests as one client may have in hand) and refuses
    the rest with 429 while the stalled connections are still held. It then drops every
    stalled connection, the last seen gone no sooner than 8 s after the first were opened (its
    limit is 10 s without a byte), and the client is served again."""
    page, port = url(proxy, 80), _port(proxy)
    with held_connections(port, 64, b"GET / HTTP/1.1\r\nHost: proxy\r\n") as half_sent:
        opened = time.monotonic()
        beside_half_sent = requests.get(page, timeout=5)
        with held_connections(port, 65, b"POST / HTTP/1.1\r\nHost: proxy\r\nContent-Length: 100\r\n\r\n") as bodiless:
            wait_until(
                lambda: len(answered_or_closed(bodiless)) >= 1,
                timeout=10,
                what="a request over the client's limit refused",
            )
            refused = answered_or_closed(bodiless)
            statuses = {client.recv(12) for client in refused}
            still_half_sent = len(half_sent) - len(answered_or_closed(half_sent))

            stalled = half_sent + bodiless
            wait_until(
                lambda: len(answered_or_closed(stalled)) == len(stalled),
                timeout=25,
                what="every stalled connection dropped",
            )
            dropped_after = time.monotonic() - opened
        served_again = requests.get(page, timeout=5)

    assert beside_half_sent.status_code == 200
    assert statuses == {b"HTTP/1.1 429"}
    assert len(bodiless) - len(refused) <= 64
    assert still_half_sent == 64
    assert dropped_after >= 8
    assert served_again.status_code == 200


def test_a_thousand_connections_from_one_address_leave_the_page_to_everyone_else(proxy: DockerContainer) -> None:
    """One client address opens 1000 connections that each send half a request's headers and
    go quiet (nginx's HTTP layer counts none of them: no request has arrived). The proxy's TCP
    layer keeps 256 of them (its bound per client address) and closes the other 744 at once
    (all within 8 s of the last one opened), so the workers' connections are not used up:
    meanwhile, while all 256 are still held, a client at another address (the proxy
    container's own loopback) is answered, and the webapp is told that address
    (X-Forwarded-For: 127.0.0.1), as the TCP layer saw it."""
    hog = 1000
    first_opened = time.monotonic()
    with held_connections(_port(proxy), hog, b"GET / HTTP/1.1\r\nHost: proxy\r\n") as half_sent:
        wait_until(
            lambda: len(answered_or_closed(half_sent)) >= hog - 256,
            timeout=8,
            what="the connections past the client's 256 closed",
        )
        kept = hog - len(answered_or_closed(half_sent))
        elsewhere = proxy.get_wrapped_container().exec_run(["wget", "-q", "-O", "-", "http://127.0.0.1/client"])
        # Still within the 10 s the HTTP layer gives the first one's headers: all 256 were held.
        held_throughout = time.monotonic() - first_opened < 9.5 and len(answered_or_closed(half_sent)) == hog - kept

    assert kept == 256
    assert (elsewhere.exit_code, elsewhere.output) == (0, b"127.0.0.1")
    assert held_throughout
