"""The webapp's access log: gunicorn's own line, byte for byte, for any request."""

from __future__ import annotations

import base64
import logging
import re
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

from gunicorn.config import Config  # type: ignore[import-untyped]  # gunicorn ships no types
from gunicorn.glogging import Logger  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from app.access_log import CombinedAccessLog

# One moment for both loggers' clocks, so that a second that ends between them changes nothing.
MOMENT = 1_800_000_000.5
_strftime = time.strftime

PLAIN_REQUEST = {"REMOTE_ADDR": "10.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.0"}

# Text a client controls: quotes, percent signs, backslashes, non-ASCII.
client_text = st.text(alphabet=st.sampled_from('ab/?=&"%\\ é-'), max_size=12)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _line(
    logger_class: type[Logger],
    environ: dict[str, Any],
    status: str | int,
    sent: int | None,
    moment: float = MOMENT,
    **settings: Any,
) -> list[str]:
    config = Config()
    config.set("accesslog", "-")
    for name, value in settings.items():
        config.set(name, value)
    logger = logger_class(config)
    lines = _Lines()
    logger.access_log.handlers = [lines]
    response = SimpleNamespace(status=status, sent=sent, headers=[])
    with (
        mock.patch("time.time", return_value=moment),
        mock.patch("time.strftime", lambda fmt, t=None: _strftime(fmt, t or time.localtime(moment))),
    ):
        logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(microseconds=1234))
    return lines.lines


@given(
    uri=client_text,
    referer=st.none() | client_text,
    agent=st.none() | client_text,
    user=st.none() | client_text,
    status=st.sampled_from(["200 OK", "404 NOT FOUND", "503 SERVICE UNAVAILABLE", 200, 503]),
    sent=st.none() | st.integers(min_value=0, max_value=10**6),
)
def test_the_line_is_gunicorns_own_for_any_request(
    uri: str, referer: str | None, agent: str | None, user: str | None, status: str | int, sent: int | None
) -> None:
    """The same line as gunicorn's Logger writes with its default format, quotes escaped
    the same way, whatever the client sent."""
    environ: dict[str, Any] = {
        "REMOTE_ADDR": "172.18.0.1",
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/{uri}",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    if referer is not None:
        environ["HTTP_REFERER"] = referer
    if agent is not None:
        environ["HTTP_USER_AGENT"] = agent
    if user is not None:
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{user}:secret".encode()).decode()

    ours = _line(CombinedAccessLog, environ, status, sent)
    gunicorns = _line(Logger, environ, status, sent)

    assert len(ours) == 1
    assert ours == gunicorns


def test_another_format_is_left_to_gunicorn() -> None:
    environ = dict(PLAIN_REQUEST)
    assert _line(CombinedAccessLog, environ, "200 OK", 5, access_log_format="%(s)s %(m)s %(p)s") == _line(
        Logger, environ, "200 OK", 5, access_log_format="%(s)s %(m)s %(p)s"
    )


def test_no_access_log_writes_nothing() -> None:
    config = Config()
    logger = CombinedAccessLog(config)
    lines = _Lines()
    logger.access_log.handlers = [lines]
    environ = dict(PLAIN_REQUEST)
    logger.access(SimpleNamespace(status="200 OK", sent=1), SimpleNamespace(headers=[]), environ, timedelta())
    assert lines.lines == []


def test_the_time_is_the_second_of_the_request() -> None:
    """The time stamp is kept for a second, not longer: a request a second later says so."""
    config = Config()
    config.set("accesslog", "-")
    logger = CombinedAccessLog(config)
    lines = _Lines()
    logger.access_log.handlers = [lines]
    environ = dict(PLAIN_REQUEST)
    for moment in (MOMENT, MOMENT + 0.3, MOMENT + 1):
        with mock.patch("time.time", return_value=moment):
            logger.access(
                SimpleNamespace(status="200 OK", sent=1, headers=[]), SimpleNamespace(headers=[]), environ, timedelta()
            )
    stamps = [re.search(r"\[(.*?)\]", line).group(1) for line in lines.lines]  # type: ignore[union-attr]

    assert stamps[0] == stamps[1] != stamps[2]
    assert stamps[2] == time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(MOMENT + 1))


def test_a_logging_configuration_of_the_operators_own_is_left_to_gunicorn() -> None:
    """Formatters of a logconfig_dict may read gunicorn's fields from the record: gunicorn writes it."""
    config = {"version": 1, "disable_existing_loggers": False}
    environ = dict(PLAIN_REQUEST)
    with mock.patch.object(Logger, "access") as gunicorns:
        settings = Config()
        settings.set("accesslog", "-")
        settings.set("logconfig_dict", config)
        logger = CombinedAccessLog(settings)
        logger.access(
            SimpleNamespace(status="200 OK", sent=1, headers=[]), SimpleNamespace(headers=[]), environ, timedelta()
        )

    gunicorns.assert_called_once()
