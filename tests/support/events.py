"""The engine's event stream, recorded while a scenario acts: what happened, and when."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import docker

from tests.support.cleanup import Filters
from tests.support.marks import COMPOSE_SERVICE_LABEL
from tests.support.waiting import wait_until


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

    def saw(self, action: str, service: str | None = None) -> bool:
        """Whether `service`'s container (any, for None) did `action` yet."""
        return any(
            event.get("Action") == action
            and (service is None or event["Actor"]["Attributes"].get(COMPOSE_SERVICE_LABEL) == service)
            for event in list(self._events)
        )

    def first(self, service: str | None, action: str) -> int:
        """When (ns since the epoch) `service`'s container (any, for None) first did `action`;
        fails if it never did."""
        times = [
            int(event["timeNano"])
            for event in self._events
            if event.get("Action") == action
            and (service is None or event["Actor"]["Attributes"].get(COMPOSE_SERVICE_LABEL) == service)
        ]
        assert times, f"no {action!r} event for service {service!r}"
        return min(times)


def stop_and_time(client: docker.DockerClient, container_id: str, timeout: int = 10) -> tuple[float, int]:
    """`docker stop`: seconds from the engine's SIGTERM to the container's exit, and its exit code.

    Timed by the engine's own events, not around the API call, so a busy engine's latency
    in answering the call is not counted as the server's time to stop.
    """
    container = client.containers.get(container_id)
    with EventRecorder(client, {"container": container_id}) as events:
        container.stop(timeout=timeout)
        wait_until(lambda: events.saw("die"), timeout=30, what="the container's exit in the event stream")
        events.stop()
    stopped_in = (events.first(None, "die") - events.first(None, "kill")) / 1e9
    container.reload()
    return stopped_in, int(container.attrs["State"]["ExitCode"])
