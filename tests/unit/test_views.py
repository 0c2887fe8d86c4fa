"""The webapp's answers when its dependencies are missing, bad or hostile (no engine needed)."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from app.config import load_settings
from tests.support import hypothesis_profile  # noqa: F401  (before any test is decorated)


def _client(db_port: int, api_url: str) -> FlaskClient:
    settings = load_settings(
        {
            "DATABASE_URL": f"postgresql://u:p@127.0.0.1:{db_port}/d",
            "API_URL": api_url,
            "API_CONNECT_TIMEOUT": "0.5",
            "API_READ_TIMEOUT": "0.5",
        }
    )
    return create_app(settings, wait_for_database=False).test_client()


@pytest.fixture
def client(closed_port: int, http_server: Callable[..., str]) -> FlaskClient:
    return _client(closed_port, http_server(200, "Hello from the API container!"))


def test_healthz_answers_without_touching_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_says_the_database_is_unavailable_and_logs_why(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The visitor learns that the database is unavailable, never its host, address or
    role; the log says what failed."""
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "reason": "database unavailable"}
    assert "Connection refused" in caplog.text
    assert "127.0.0.1" in caplog.text


def test_the_page_renders_with_the_database_down(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<h1>" in page
    assert "Hello from the API container!" in page
    assert "Database unavailable." in page


def test_visits_json_reports_the_outage_as_json(client: FlaskClient) -> None:
    response = client.get("/visits.json")
    assert response.status_code == 503
    assert response.json is not None
    assert "database unavailable" in response.json["error"]


@pytest.mark.parametrize("limit", ["0", "abc", "-1", "1001"])
def test_visits_json_rejects_a_bad_limit(client: FlaskClient, limit: str) -> None:
    response = client.get(f"/visits.json?limit={limit}")
    assert response.status_code == 400
    assert response.json is not None
    assert "limit" in response.json["error"]


def test_an_unreachable_api_is_said_plainly(closed_port: int) -> None:
    page = _client(closed_port, f"http://127.0.0.1:{closed_port}").get("/").get_data(as_text=True)
    assert "API unavailable: the api is unreachable" in page


def test_a_failed_api_is_named_on_the_page_by_what_is_wrong_and_in_the_log_by_its_address(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The visitor learns that the api is unavailable and, in a few words, why; never its
    address. The webapp's log says which URL failed and how, for the operator."""
    api_url = f"http://127.0.0.1:{closed_port}"
    page = _client(closed_port, api_url).get("/").get_data(as_text=True)

    assert "API unavailable: the api is unreachable" in page
    assert "127.0.0.1" not in page
    assert "http://" not in page
    assert f"api unavailable: the api at {api_url} is unreachable (NewConnectionError:" in caplog.text
    assert "Connection refused" in caplog.text


def test_an_api_error_status_is_said_plainly(closed_port: int, http_server: Callable[..., str]) -> None:
    page = _client(closed_port, http_server(500, "boom")).get("/").get_data(as_text=True)
    assert "answered 500" in page


def test_the_api_message_is_html_escaped(closed_port: int, http_server: Callable[..., str]) -> None:
    page = _client(closed_port, http_server(200, "<script>alert(1)</script>")).get("/").get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _page_within(client: FlaskClient, seconds: float) -> tuple[str, float]:
    """The page and how long it took, which must be under `seconds`: a page held longer fails
    when the bound is past, not when (or if) it ends."""
    pages: list[str] = []
    request = threading.Thread(target=lambda: pages.append(client.get("/").get_data(as_text=True)), daemon=True)
    started = time.monotonic()
    request.start()
    request.join(timeout=seconds)
    elapsed = time.monotonic() - started
    assert pages, f"no page within {seconds:g} s"
    assert elapsed < seconds, elapsed
    return pages[0], elapsed


def test_a_slow_api_is_said_plainly_within_the_read_timeout(closed_port: int, http_server: Callable[..., str]) -> None:
    """The api accepts the connection but never answers: after API_READ_TIMEOUT the page
    renders anyway and says the api did not answer in time."""
    client = _client(closed_port, http_server(200, "too late", hang=True))
    page, elapsed = _page_within(client, 2)

    assert "API unavailable: the api did not answer within 0.5s/0.5s" in page
    assert "too late" not in page
    assert 0.5 <= elapsed < 2


def _is_a_valid_limit(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= 1000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.one_of(st.text(max_size=8), st.integers(-5, 1005).map(str), st.sampled_from(["²", "١٢", "0010", " 5"])))
def test_any_limit_but_1_to_1000_in_ascii_digits_is_refused_with_400(client: FlaskClient, limit: str) -> None:
    """Whatever `limit` holds, /visits.json answers 400 unless it is 1 to 1000 written in
    ASCII digits; a valid one reaches the database (down here: 503). Never a 500."""
    response = client.get("/visits.json", query_string={"limit": limit})
    assert response.status_code == (503 if _is_a_valid_limit(limit) else 400)


_HEADER_NAME = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1)
_HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=64)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    headers=st.dictionaries(_HEADER_NAME, _HEADER_VALUE, max_size=5),
    path=st.sampled_from(["/", "/readyz", "/visits.json", "/healthz"]),
)
def test_any_headers_never_make_a_server_error(client: FlaskClient, headers: dict[str, str], path: str) -> None:
    """Arbitrary request headers change nothing: each path answers as it would without them
    (liveness 200; the rest 503, the database being down here)."""
    expected = 200 if path == "/healthz" else 503
    assert client.get(path, headers=headers).status_code == expected


def test_unknown_paths_are_404_and_wrong_methods_405(client: FlaskClient) -> None:
    assert client.get("/nowhere").status_code == 404
    assert client.post("/").status_code == 405
    assert client.delete("/visits.json").status_code == 405


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """A TCP server on localhost that answers each connection with `handler` (no HTTP library)."""
    stop = threading.Event()
    servers: list[socket.socket] = []
    threads: list[threading.Thread] = []
    connections: list[socket.socket] = []

    def start(handler: Callable[[socket.socket], None]) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(0.1)
        servers.append(server)

        def serve() -> None:
            while not stop.is_set():
                try:
                    connection, _ = server.accept()
                except TimeoutError:
                    continue
                except OSError:  # closed at the end of the test
                    return
                connections.append(connection)
                with connection, contextlib.suppress(OSError):
                    connection.recv(65536)
                    handler(connection)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{server.getsockname()[1]}"

    yield start
    stop.set()
    # A handler still sending (the page gave up on it, or a failed test did) ends at its next send.
    for connection in connections:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    for thread in threads:
        thread.join(timeout=30)
    for server in servers:
        server.close()


def _endless(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    for _ in range(100_000):  # 100 MB, a little at a time, each piece well within the read timeout
        connection.sendall(b"x" * 1024)


def _trickle(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    for _ in range(100):  # a byte every 0.2 s: never a read timeout, never the end
        connection.sendall(b"x")
        time.sleep(0.2)


def _endless_error(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\n")
    for _ in range(100_000):
        connection.sendall(b"x" * 1024)


def _trickled_headers(connection: socket.socket) -> None:
    # The status line over and over, a byte every 0.2 s (each well within the read timeout),
    # for ten times the api's two timeouts: the headers never end while the test lasts.
    for byte in itertools.islice(itertools.cycle(b"HTTP/1.1 200 OK\r\n"), 50):
        connection.sendall(bytes([byte]))
        time.sleep(0.2)


def _headers_then_silence(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    time.sleep(3)


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        (_endless, "answered more than 4096 bytes"),
        (_trickle, "did not answer within 0.5s/0.5s"),
        (
            lambda c: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\xff\xfe\x00\x81"),
            "answered something that is not text",
        ),
        (lambda c: c.sendall(b"garbage, not HTTP\r\n\r\n"), "gave no valid answer"),
        (_headers_then_silence, "did not answer within 0.5s/0.5s"),
        (_trickled_headers, "did not answer within 0.5s/0.5s"),
        (
            lambda c: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnotgz"),
            "gave no valid answer",
        ),
        (_endless_error, "answered 503"),
        (
            lambda c: c.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 3\r\n\r\nGo!"),
            "answered 302",
        ),
    ],
    ids=[
        "endless body",
        "endless trickle",
        "not text",
        "not HTTP",
        "headers then silence",
        "trickled headers",
        "broken gzip",
        "endless error",
        "a redirect",
    ],
)
def test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib(
    closed_port: int, raw_server: Callable[[Callable[[socket.socket], None]], str], handler: Any, says: str
) -> None:
    """An api that answers without end, too slowly (its body, or its status line and headers,
    a byte at a time, each byte within the read timeout), in bytes that are not text, not in
    HTTP at all, with an error (however long its body) or a redirect: the page renders within
    the api's two timeouts together, one deadline for the whole answer, headers included, and
    says what is wrong (never the api's address), having read no more than 4 KiB of the answer."""
    client = _client(closed_port, raw_server(handler))
    page, _ = _page_within(client, 0.5 + 0.5 + 0.5)

    assert f"API unavailable: the api {says}" in page
    assert "127.0.0.1" not in page
