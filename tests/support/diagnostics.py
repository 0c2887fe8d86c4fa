"""On a failed scenario, print what its containers said: logs and state."""

from __future__ import annotations

from collections.abc import Callable

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


def container_logs(container: DockerContainer) -> Callable[[], str]:
    """The stdout and stderr of a testcontainers DockerContainer."""

    def read() -> str:
        stdout, stderr = container.get_logs()
        return (stdout + stderr).decode(errors="replace")

    return read


scenario_diagnostics = pytest.StashKey[Diagnostics]()
