"""The webapp's access log: one line per request in the combined format web servers write,

    127.0.0.1 - - [03/Dec/2026:10:59:01 +0000] "GET / HTTP/1.1" 200 1514 "-" "curl/8.14.1"

written once the answer is complete. Every text a client chose (the path, the query, the
referrer, the user agent) is escaped: a quote as \\", a backslash as \\\\, a control character
(C0, DEL and C1) as \\xNN, the Unicode line and paragraph separators as \\u2028 and \\u2029. So
a client can neither end a quoted field early, nor fake an escape, nor start a new line (not even
for a reader that splits lines as Python's str.splitlines() does, at U+0085 NEL), nor send a
terminal a sequence (U+009B is a terminal's CSI), and every line parses into the fields the
server wrote.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# Backslash and quote escaped; every control character (C0, DEL and C1) written as \xNN, and the
# two characters besides them that a reader may take for a line end as \uNNNN.
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0)]
_ESCAPES = (
    {ord("\\"): "\\\\", ord('"'): '\\"'}
    | {c: f"\\x{c:02x}" for c in _CONTROLS}
    | {c: f"\\u{c:04x}" for c in (0x2028, 0x2029)}
)


def escaped(value: str) -> str:
    """`value` as it may stand between quotes in a log line."""
    return value.translate(_ESCAPES)


def access_logger() -> logging.Logger:
    """The logger the lines go to: the message alone, on standard output."""
    logger = logging.getLogger("app.access")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class AccessLog:
    """WSGI middleware that writes the access line of each request it passes on."""

    _clock: tuple[int, str] = (-1, "")

    def __init__(self, app: WSGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or access_logger()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        answer: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        return _Logged(body, lambda sent: self._write(environ, answer, sent))

    def _write(self, environ: Environ, answer: list[Any], sent: int) -> None:
        status = answer[0].split(None, 1)[0] if answer else "500"
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        protocol = environ.get("SERVER_PROTOCOL", "-")
        # granian names HTTP/1.0 "HTTP/1": logged as the client wrote it.
        protocol = "HTTP/1.0" if protocol == "HTTP/1" else protocol
        request = f"{environ.get('REQUEST_METHOD', '-')} {target} {protocol}"
        line = (
            f"{environ.get('REMOTE_ADDR', '-')} - - {self._now()} "
            f'"{escaped(request)}" {status} {sent if sent else "-"} '
            f'"{escaped(environ.get("HTTP_REFERER", "-"))}" "{escaped(environ.get("HTTP_USER_AGENT", "-"))}"'
        )
        try:
            # The line is the message itself: no arguments, so a % in it is never read as a format.
            self.logger.info(line)
        except Exception:
            logging.getLogger(__name__).exception("could not write the access log")

    def _now(self) -> str:
        """The time stamp, formatted once a second rather than once a request. (The pair is
        replaced whole, so threads that race here each read a consistent one.)"""
        second = int(time.time())
        clock = self._clock
        if clock[0] != second:
            clock = (second, time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second)))
            self._clock = clock
        return clock[1]


class _Logged:
    """The answer's body, passed on piece by piece; its size is logged when the server closes it."""

    __slots__ = ("body", "on_close", "sent")

    def __init__(self, body: Iterable[bytes], on_close: Callable[[int], None]) -> None:
        self.body = body
        self.on_close = on_close
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close(self.sent)
