"""gunicorn's access log line, made for what its default format prints and nothing more.

For each request gunicorn's own Logger builds a dictionary of some twenty fields and of
every request header, copies it to escape quotes and look keys up case-insensitively, and
formats the line from it: about a seventh of the webapp's own CPU per page (py-spy under
load). This subclass writes the same line, byte for byte, from the nine fields the default
(combined) format uses. With any other access_log_format, or a logging configuration of the
operator's own (whose formatters may read gunicorn's fields), it leaves the work to gunicorn.
(gunicorn picks its statsd logger by itself only with its default logger class: with
statsd_host, set logger_class to gunicorn.instrument.statsd.Statsd too.)
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from gunicorn.config import AccessLogFormat  # type: ignore[import-untyped]  # gunicorn ships no types
from gunicorn.glogging import Logger  # type: ignore[import-untyped]


class CombinedAccessLog(Logger):  # type: ignore[misc]  # gunicorn ships no types
    _clock: tuple[int, str] = (-1, "")

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # Read on every request: decided here, as gunicorn decides whether to log at all (a
        # configuration reload runs setup again).
        self._left_to_gunicorn = cfg.access_log_format != AccessLogFormat.default or bool(
            cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json
        )

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if self._left_to_gunicorn:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        sent = getattr(resp, "sent", None)
        request = f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
        line = (
            f"{_quoted(environ.get('REMOTE_ADDR', '-'))} - {_quoted(self._get_user(environ) or '-')} "
            f'{self._now()} "{_quoted(request)}" {_quoted(status)} {"-" if sent is None else sent} '
            f'"{_quoted(environ.get("HTTP_REFERER", "-"))}" "{_quoted(environ.get("HTTP_USER_AGENT", "-"))}"'
        )
        try:
            # The line is the message itself: no arguments, so a % in it is never read as a format.
            self.access_log.info(line)
        except Exception:
            self.exception("could not write the access log")

    def _now(self) -> str:
        """gunicorn's time stamp, formatted once a second rather than once a request. (The pair
        is replaced whole, so threads that race here each read a consistent one.)"""
        second = int(time.time())
        clock = self._clock
        if clock[0] != second:
            clock = (second, time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second)))
            self._clock = clock
        return clock[1]


def _quoted(value: object) -> object:
    """What gunicorn does to every text it logs: a double quote is escaped, so a client cannot
    end a quoted field early and forge the rest of the line."""
    return value.replace('"', '\\"') if isinstance(value, str) else value
