"""The engine's event stream, recorded while a scenario acts: what happened, and when."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import docker

from tests.support.cleanup import Filters

SERVICE_LABEL = "com.docker.compose.service"


class EventRecorder:
    """Records container events matching `filters` from the moment it is entered.

    The engine keeps only a short backlog of past events, so they are read live, in a
    thread, rather than asked for afterwards.
    """

    def __init__(self, client: docker.DockerClient, filters: Filters) -> None:
        self._stream = client.events(decode=True, filters={"type": "container", **filters})
        self._events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, name="docker-events", daemon=True)

    def _read(self) -> None:
        for event in self._stream:
            self._events.append(event)

    def __enter__(self) -> EventRecorder:
        self._reader.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stream.close()
        self._reader.join(timeout=5)

    def first(self, service: str, action: str) -> int:
        """When (ns since the epoch) `service`'s container first did `action`; fails if it never did."""
        times = [
            int(event["timeNano"])
            for event in self._events
            if event.get("Action") == action and event["Actor"]["Attributes"].get(SERVICE_LABEL) == service
        ]
        assert times, f"no {action!r} event for service {service!r}"
        return min(times)
