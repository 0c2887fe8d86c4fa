"""On a failed scenario, print what its containers said: logs and state.

Containers made by the suite's factories register themselves with the running
scenario's Diagnostics when they start, and keep their last logs when they are
removed, so a failing scenario's report carries them without asking.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from testcontainers.core.container import DockerContainer


class Diagnostics:
    """Sources of diagnostic text a scenario registers; printed only if it fails."""

    def __init__(self) -> None:
        self.sources: list[tuple[str, Callable[[], str]]] = []

    def watch(self, title: str, source: Callable[[], str]) -> None:
        self.sources.append((title, source))

    def render(self) -> str:
        sections = []
        for title, source in self.sources:
            try:
                text = source()
            except Exception as error:  # the container may be gone already
                text = f"(not available: {error!r})"
            sections.append(f"===== {title} =====\n{text.rstrip()}")
        return "\n".join(sections)


scenario_diagnostics = pytest.StashKey[Diagnostics]()

# The running scenario's Diagnostics (one scenario at a time per process, xdist included).
_current: Diagnostics | None = None


def begin_scenario() -> Diagnostics:
    global _current
    _current = Diagnostics()
    return _current


def watch(title: str, source: Callable[[], str]) -> None:
    """Register a source with the running scenario, if any (helpers used outside a test have none)."""
    if _current is not None:
        _current.watch(title, source)


def logs(container: DockerContainer) -> str:
    """The stdout and stderr of a testcontainers DockerContainer, as they are now."""
    stdout, stderr = container.get_logs()
    return (stdout + stderr).decode(errors="replace")


class LoggedContainer(DockerContainer):
    """A testcontainers container whose logs reach a failing scenario's report.

    Registered at start (so a readiness timeout is explained too); the logs are read
    once more just before removal, since a removed container has none to give.
    """

    _last_logs: str = "(no logs: the container never started)"

    def start(self) -> Any:
        def logs_or_last() -> str:
            try:
                return logs(self)
            except Exception:
                return self._last_logs

        watch(f"logs of {self.image}", logs_or_last)
        return super().start()

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        with contextlib.suppress(Exception):
            self._last_logs = logs(self)
        super().stop(force, delete_volume)
