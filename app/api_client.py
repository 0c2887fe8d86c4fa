"""Fetching the api service's message, with timeouts, a size limit and a plain answer on failure.

urllib3 directly (what requests is built on): one pool of kept-alive connections per
process, and none of requests' per-call layers, which cost the page more than the api's
whole answer does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from app.config import Settings

# The message is one short line: anything longer is not the api we know, and reading it
# all would let a broken or hostile api hold a request thread and its memory.
MAX_MESSAGE_BYTES = 4096


@dataclass(frozen=True)
class ApiReply:
    message: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _TooLargeError(Exception):
    """The answer grew past MAX_MESSAGE_BYTES."""


class _TooSlowError(Exception):
    """The answer did not end by the deadline."""


class ApiClient:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.api_url
        self.timeout = (settings.api_connect_timeout, settings.api_read_timeout)
        # One kept-alive connection per request thread; never a retry or a redirect followed.
        self.pool = urllib3.PoolManager(maxsize=settings.web_threads, retries=False)

    def _say(self, what: str) -> ApiReply:
        return ApiReply(None, f"the api at {self.url} {what}")

    def fetch_message(self) -> ApiReply:
        try:
            status, body = self._get()
        except _TooLargeError:
            return self._say(f"answered more than {MAX_MESSAGE_BYTES} bytes")
        except NewConnectionError:  # refused, or a name that does not resolve
            return self._say("is unreachable")
        except (_TooSlowError, ConnectTimeoutError, ReadTimeoutError):
            return self._say(f"did not answer within {self.timeout[0]:g}s/{self.timeout[1]:g}s")
        except (ProtocolError, HTTPError):  # it answered, but not in HTTP, or in an encoding we do not take
            return self._say("gave no valid answer")
        if not 200 <= status < 300:  # an error, or a redirect (never followed): its body is not the message
            return self._say(f"answered {status}")
        try:
            return ApiReply(body.decode("utf-8").strip())
        except UnicodeDecodeError:
            return self._say("answered something that is not text")

    def _get(self) -> tuple[int, bytes]:
        # The read timeout bounds each wait for bytes, not the whole body: an api that
        # trickles an endless answer is cut off by this deadline instead.
        deadline = time.monotonic() + self.timeout[0] + self.timeout[1]
        timeout = urllib3.Timeout(connect=self.timeout[0], read=self.timeout[1])
        response = self.pool.request("GET", self.url, timeout=timeout, preload_content=False, redirect=False)
        body = bytearray()
        complete = False
        try:
            if not 200 <= response.status < 300:
                return response.status, b""  # the status says it all: its body is not read
            # Raw bytes only: a decoder can read on without returning (a stream of empty gzip
            # members), out of reach of the deadline. The api we know sends plain text.
            if response.headers.get("Content-Encoding", "identity").lower() != "identity":
                raise ProtocolError("the answer has a content encoding")
            # read1: whatever has arrived, at once, so the deadline is checked between pieces.
            while chunk := response.read1(1024, decode_content=False):
                body += chunk
                if len(body) > MAX_MESSAGE_BYTES:
                    raise _TooLargeError
                if time.monotonic() > deadline:
                    raise _TooSlowError
            complete = True
        finally:
            if complete:
                response.release_conn()  # read to its end: the connection serves the next page
            else:
                response.close()  # a connection left mid-answer is never reused
        return response.status, bytes(body)
