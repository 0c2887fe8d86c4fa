"""Fetching the api service's message, with one deadline, a size limit and a plain answer on failure.

urllib3 directly (what requests is built on): one pool of kept-alive connections per
process, and none of requests' per-call layers, which cost the page more than the api's
whole answer does.
"""

from __future__ import annotations

import http.client
import io
import math
import socket
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from app.config import Settings

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# The message is one short line: anything longer is not the api we know, and reading it
# all would let a broken or hostile api hold a request thread and its memory.
MAX_MESSAGE_BYTES = 4096

# When the exchange under way in this thread must be over (time.monotonic()); None: no deadline.
_DEADLINE: ContextVar[float | None] = ContextVar("api_deadline", default=None)


@dataclass(frozen=True)
class ApiReply:
    message: str | None
    # For the visitor: what is wrong, in a few words that name no address.
    error: str | None = None
    # For the operator's log: the api's URL and what failed.
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _TooLargeError(Exception):
    """The answer grew past MAX_MESSAGE_BYTES."""


class _DeadlineReads(io.RawIOBase):
    """A connection's bytes as the response reads them, status line and headers included:
    no wait for them outlasts the exchange's deadline.

    A socket's timeout (urllib3's read timeout) bounds each wait for bytes, never their sum:
    an api that sends its status line and headers a byte a second is never timed out by it.
    urllib3's Timeout(total=...) is no better: it only shortens that per-wait timeout, once,
    by what the connect took (a total of 1 s let headers trickled over 10 s through). So each
    wait here gets only what is left of the deadline, and none begins after it.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._read_timeout = sock.gettimeout() or math.inf  # set by urllib3 just before the headers

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        deadline = _DEADLINE.get()
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the api's deadline passed")  # urllib3 makes it a ReadTimeoutError
            self._sock.settimeout(min(left, self._read_timeout))
        return self._raw.readinto(buffer)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # the socket's own file: the connection closes when its last file does
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response (which urllib3 reads the status line, headers and body with),
    reading the socket through _DeadlineReads."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = io.BufferedReader(_DeadlineReads(self.fp.detach(), sock))


class _DeadlineHTTPConnection(HTTPConnection):
    response_class = _DeadlineResponse


class _DeadlineHTTPSConnection(HTTPSConnection):
    response_class = _DeadlineResponse


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class ApiClient:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.api_url
        self.timeout = (settings.api_connect_timeout, settings.api_read_timeout)
        # One kept-alive connection per request thread; never a retry or a redirect followed.
        self.pool = urllib3.PoolManager(maxsize=settings.web_threads, retries=False)
        self.pool.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}

    def _say(self, what: str, cause: BaseException | None = None) -> ApiReply:
        detail = f"the api at {self.url} {what}"
        if cause is not None:
            detail += f" ({type(cause).__name__}: {cause})"
        return ApiReply(None, f"the api {what}", detail)

    def fetch_message(self) -> ApiReply:
        try:
            status, body = self._get()
        except _TooLargeError:
            return self._say(f"answered more than {MAX_MESSAGE_BYTES} bytes")
        except NewConnectionError as error:  # refused, or a name that does not resolve
            return self._say("is unreachable", error)
        except (ConnectTimeoutError, ReadTimeoutError) as error:
            return self._say(f"did not answer within {self.timeout[0]:g}s/{self.timeout[1]:g}s", error)
        except (ProtocolError, HTTPError) as error:  # it answered, but not in HTTP, or in an encoding we do not take
            return self._say("gave no valid answer", error)
        if not 200 <= status < 300:  # an error, or a redirect (never followed): its body is not the message
            return self._say(f"answered {status}")
        try:
            return ApiReply(body.decode("utf-8").strip())
        except UnicodeDecodeError:
            return self._say("answered something that is not text")

    def _get(self) -> tuple[int, bytes]:
        # One deadline for the whole exchange, from connecting to the body's last byte: every
        # read of the answer, headers included, ends by it (_DeadlineReads).
        deadline = time.monotonic() + self.timeout[0] + self.timeout[1]
        timeout = urllib3.Timeout(connect=self.timeout[0], read=self.timeout[1])
        armed = _DEADLINE.set(deadline)
        try:
            response = self.pool.request("GET", self.url, timeout=timeout, preload_content=False, redirect=False)
            return self._read(response)
        finally:
            _DEADLINE.reset(armed)

    @staticmethod
    def _read(response: urllib3.BaseHTTPResponse) -> tuple[int, bytes]:
        body = bytearray()
        complete = False
        try:
            if not 200 <= response.status < 300:
                return response.status, b""  # the status says it all: its body is not read
            # Raw bytes only: a decoder can read on without returning (a stream of empty gzip
            # members), out of reach of the deadline. The api we know sends plain text.
            if response.headers.get("Content-Encoding", "identity").lower() != "identity":
                raise ProtocolError("the answer has a content encoding")
            # read1: whatever has arrived, at once, so the size is checked between pieces.
            while chunk := response.read1(1024, decode_content=False):
                body += chunk
                if len(body) > MAX_MESSAGE_BYTES:
                    raise _TooLargeError
            complete = True
        finally:
            if complete:
                response.release_conn()  # read to its end: the connection serves the next page
            else:
                response.close()  # a connection left mid-answer is never reused
        return response.status, bytes(body)
