"""The webapp's access log: one line per request in the combined format, which a client
cannot forge, whatever it sends."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from app.access_log import AccessLog
from tests.support import hypothesis_profile  # noqa: F401  (before any test is decorated)

MOMENT = 1_800_000_000.5

# The combined format, field by field: a quoted field is any run of escapes or other characters.
_QUOTED = r'"((?:\\.|[^"\\])*)"'
COMBINED = re.compile(
    rf"^(?P<addr>\S+) - - \[(?P<time>[^\]]+)\] {_QUOTED} (?P<status>\d{{3}}) (?P<sent>\d+|-) {_QUOTED} {_QUOTED}$"
)
_UNESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)")

# Text a client controls: quotes, backslashes, what looks like an escape, line ends (also those
# of Unicode: NEL, the line and paragraph separators), C1 controls such as a terminal's CSI,
# other non-ASCII.
client_text = st.text(alphabet=st.sampled_from('ab/?=&"%\\xu0 é-\n\r\t\x1b\x7f\x85\x9b\u2028\u2029'), max_size=16)


def _unescaped(field: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m[1][1:], 16)) if len(m[1]) > 1 else m[1], field)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _app(status: str, body: list[bytes]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return body

    return app


def _logged(status: str = "200 OK", body: list[bytes] | None = None) -> tuple[AccessLog, list[str]]:
    """The middleware around an app that answers `status` and `body`, and the lines it writes."""
    lines = _Lines()
    logger = logging.getLogger("test.access")
    logger.handlers = [lines]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return AccessLog(_app(status, [b"hello"] if body is None else body), logger), lines.lines


def _request(middleware: AccessLog, lines: list[str], environ: dict[str, Any]) -> None:
    """One request, as a WSGI server runs it: call, read the body, close it."""
    written = len(lines)
    answer = middleware(environ, lambda *a: None)
    b"".join(answer)
    assert len(lines) == written  # nothing before the answer is complete
    answer.close()  # type: ignore[attr-defined]


def _serve(environ: dict[str, Any], status: str = "200 OK", body: list[bytes] | None = None) -> list[str]:
    middleware, lines = _logged(status, body)
    _request(middleware, lines, environ)
    return lines


@given(
    path=client_text,
    query=client_text,
    referer=st.none() | client_text,
    agent=st.none() | client_text,
    status=st.sampled_from(["200 OK", "404 NOT FOUND", "503 SERVICE UNAVAILABLE"]),
    body=st.lists(st.binary(max_size=64), max_size=3),
)
def test_each_request_writes_one_line_whose_fields_are_what_the_client_sent(
    path: str, query: str, referer: str | None, agent: str | None, status: str, body: list[bytes]
) -> None:
    """Whatever the client puts in its path, query, referrer or user agent (quotes,
    backslashes, a fake escape, a line end, Unicode's NEL and line separators, a terminal's
    CSI), the request writes exactly one line, with no control character in it, and that line
    parses into the fields it sent: a client cannot end a field early, add a field or start a
    line of its own. The status and the bytes sent ("-" for none) are the answer's."""
    environ: dict[str, Any] = {
        "REMOTE_ADDR": "172.18.0.1",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/{path}",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    if referer is not None:
        environ["HTTP_REFERER"] = referer
    if agent is not None:
        environ["HTTP_USER_AGENT"] = agent

    lines = _serve(environ, status, body)

    assert len(lines) == 1
    assert lines[0].splitlines() == [lines[0]]  # no line end, as str.splitlines() knows them
    assert not [c for c in lines[0] if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]
    fields = COMBINED.match(lines[0])
    assert fields, lines[0]
    request, shown_referer, shown_agent = (_unescaped(f) for f in fields.group(3, 6, 7))
    assert request == f"GET /{path}{'?' + query if query else ''} HTTP/1.1"
    assert shown_referer == (referer if referer is not None else "-")
    assert shown_agent == (agent if agent is not None else "-")
    assert fields["status"] == status[:3]
    sent = sum(map(len, body))
    assert fields["sent"] == (str(sent) if sent else "-")


def test_the_time_is_the_second_of_the_request() -> None:
    """The time stamp is kept for a second, not longer: a request a second later says so."""
    environ = {"REMOTE_ADDR": "10.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1"}
    middleware, lines = _logged()
    for moment in (MOMENT, MOMENT + 0.3, MOMENT + 1):
        with mock.patch("time.time", return_value=moment):
            _request(middleware, lines, environ)
    stamps = [re.search(r"\[(.*?)\]", line).group(1) for line in lines]  # type: ignore[union-attr]

    assert stamps[0] == stamps[1] != stamps[2]
    assert stamps[2] == time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(MOMENT + 1))


def test_http_1_0_is_logged_as_the_client_wrote_it() -> None:
    """granian names an HTTP/1.0 request's protocol "HTTP/1"; the line says HTTP/1.0, as the
    client wrote it (health checks and the Swarm stack's proxy speak it)."""
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SERVER_PROTOCOL": "HTTP/1",
    }
    (line,) = _serve(environ)

    assert '"GET /healthz HTTP/1.0" 200 5 ' in line
