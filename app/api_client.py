"""Fetching the api service's message, with timeouts, a size limit and a plain answer on failure."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
import urllib3
from urllib3.exceptions import ProtocolError, ReadTimeoutError

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


class ApiClient:
    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.url = settings.api_url
        self.timeout = (settings.api_connect_timeout, settings.api_read_timeout)
        self.session = session or requests.Session()

    def _too_slow(self) -> ApiReply:
        return ApiReply(None, f"the api at {self.url} did not answer within {self.timeout[0]:g}s/{self.timeout[1]:g}s")

    def fetch_message(self) -> ApiReply:
        # requests' read timeout bounds each wait for bytes, not the whole body: an api that
        # trickles an endless answer is cut off by this deadline instead.
        deadline = time.monotonic() + self.timeout[0] + self.timeout[1]
        body = bytearray()
        try:
            with self.session.get(self.url, timeout=self.timeout, stream=True) as response:
                response.raise_for_status()
                # read1: whatever has arrived, at once, so the deadline is checked between pieces.
                while chunk := response.raw.read1(1024, decode_content=True):
                    body += chunk
                    if len(body) > MAX_MESSAGE_BYTES:
                        return ApiReply(None, f"the api at {self.url} answered more than {MAX_MESSAGE_BYTES} bytes")
                    if time.monotonic() > deadline:
                        return self._too_slow()
        except (requests.Timeout, ReadTimeoutError):  # the body is read by urllib3 itself
            return self._too_slow()
        except requests.ConnectionError as error:
            if error.args and isinstance(error.args[0], ProtocolError):  # it answered, but not in HTTP
                return ApiReply(None, f"the api at {self.url} gave no valid answer")
            return ApiReply(None, f"the api at {self.url} is unreachable")
        except requests.HTTPError as error:
            return ApiReply(None, f"the api at {self.url} answered {error.response.status_code}")
        except (requests.RequestException, urllib3.exceptions.HTTPError):
            return ApiReply(None, f"the api at {self.url} gave no valid answer")
        try:
            return ApiReply(body.decode("utf-8").strip())
        except UnicodeDecodeError:
            return ApiReply(None, f"the api at {self.url} answered something that is not text")
