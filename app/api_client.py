"""Fetching the api service's message, with timeouts and a plain answer on failure."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from app.config import Settings


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

    def fetch_message(self) -> ApiReply:
        try:
            response = self.session.get(self.url, timeout=self.timeout)
            response.raise_for_status()
        except requests.Timeout:
            return ApiReply(
                None, f"the api at {self.url} did not answer within {self.timeout[0]:g}s/{self.timeout[1]:g}s"
            )
        except requests.ConnectionError:
            return ApiReply(None, f"the api at {self.url} is unreachable")
        except requests.HTTPError as error:
            return ApiReply(None, f"the api at {self.url} answered {error.response.status_code}")
        return ApiReply(response.text.strip())
