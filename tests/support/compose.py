"""The project's Compose stack: DockerCompose with a project name of its own, so stacks
never collide, on a host port Docker picks, with its containers at hand."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from os import PathLike

from docker.errors import APIError, NotFound
from docker.models.containers import Container
from testcontainers.compose import DockerCompose

from tests.support import diagnostics
from tests.support.cleanup import COMPOSE_PROJECT_PREFIX
from tests.support.containers import exec_in
from tests.support.environment import ROOT

_counter = itertools.count(1)

# Every stack's own variables start from these: the webapp on a host port Docker picks, so
# stacks never compete for one (a scenario about the port sets WEBAPP_PORT itself).
DEFAULT_ENVIRONMENT = {"WEBAPP_PORT": "0"}


class ComposeCommandError(RuntimeError):
    def __init__(self, cmd: str | list[str], result: subprocess.CompletedProcess[bytes]) -> None:
        command = cmd if isinstance(cmd, str) else " ".join(cmd)
        super().__init__(
            f"`{command}` exited {result.returncode}\n"
            f"stdout:\n{result.stdout.decode(errors='replace')}\nstderr:\n{result.stderr.decode(errors='replace')}"
        )
        self.result = result


def unique_project_name() -> str:
    return f"{COMPOSE_PROJECT_PREFIX}-{next(_counter)}"


@dataclass
class ProjectCompose(DockerCompose):
    """testcontainers' DockerCompose, run as `docker compose -p <unique name>` in the
    project's folder.

    DockerCompose has no project-name option; without one every stack from this
    folder would be the same project, and parallel runs would tear down each other.
    """

    context: str | PathLike[str] = ROOT
    project_name: str = field(default_factory=unique_project_name)
    # Variables for this stack only, on top of DEFAULT_ENVIRONMENT and the process's own.
    environment: dict[str, str] = field(default_factory=dict)

    @cached_property
    def compose_command_property(self) -> list[str]:
        binary, subcommand, *options = DockerCompose.compose_command_property.func(self)  # type: ignore[attr-defined]
        return [binary, subcommand, "-p", self.project_name, *options]

    def _run_command(self, cmd: str | list[str], context: str | None = None) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(
            cmd,
            capture_output=True,
            cwd=context or str(self.context),
            env={**os.environ, **DEFAULT_ENVIRONMENT, **self.environment},
            check=False,
        )
        if result.returncode != 0:
            raise ComposeCommandError(cmd, result)
        return result

    def compose(self, *args: str) -> str:
        """Run `docker compose -p <project> <args>`; return its stdout (warnings go to stderr)."""
        return self._run_command([*self.compose_command_property, *args]).stdout.decode()

    def __post_init__(self) -> None:
        super().__post_init__()
        self._last_diagnostics = "(the stack was never started)"
        self._orphans: list[str] = []
        diagnostics.watch(f"docker compose -p {self.project_name}", self._diagnostics_or_last)

    def down(self, *, volumes: bool) -> None:
        """`docker compose down`, with `--volumes` only when asked: the default of
        DockerCompose.stop() would hide what happens to data without it."""
        with contextlib.suppress(ComposeCommandError):
            self._last_diagnostics = self.diagnostics()
        if not volumes:
            # What `down` leaves orphaned (the image's anonymous volumes): removed by stop().
            self.keep_track_of_volumes(self._volumes_in_use())
        self.compose("down", *(["--volumes"] if volumes else []))

    def keep_track_of_volumes(self, names: list[str]) -> None:
        """Volumes to remove at stop() if still there, e.g. left by a `down` run outside this object."""
        self._orphans.extend(names)

    def _volumes_in_use(self) -> list[str]:
        client = self._get_docker_client()
        ids = self.compose("ps", "--all", "--quiet").split()
        return [
            str(mount["Name"])
            for container_id in ids
            for mount in client.client.containers.get(container_id).attrs["Mounts"]
            if mount["Type"] == "volume"
        ]

    def stop(self, down: bool = True) -> None:
        """What `with ProjectCompose(...)` does on exit: `down --volumes`, then any volume an
        earlier `down` orphaned, so nothing is left (also when a scenario failed midway)."""
        self.down(volumes=down)
        client = self._get_docker_client().client
        for name in self._orphans:
            with contextlib.suppress(NotFound, APIError):
                client.volumes.get(name).remove(force=True)

    def container(self, service: str) -> Container:
        """The service's container, as the Docker SDK has it (attrs, exec_run, kill, ...)."""
        container_id = str(self.get_container(service, include_all=True).ID)
        return self._get_docker_client().client.containers.get(container_id)

    def exec(self, service: str, *command: str, user: str = "") -> tuple[int, str]:
        """Run a command inside the service's container (as `user`); its exit code and combined output."""
        return exec_in(self.container(service), *command, user=user)

    def url(self, service: str, container_port: int, path: str = "/") -> str:
        # 127.0.0.1, not get_service_host(): that answers 0.0.0.0.
        return f"http://127.0.0.1:{self.get_service_port(service, container_port)}{path}"

    def _diagnostics_or_last(self) -> str:
        """The stack's state now, or as it was just before its last `down`."""
        return self.diagnostics() if self.compose("ps", "--all", "--quiet").strip() else self._last_diagnostics

    def diagnostics(self) -> str:
        """`docker compose ps` and the logs: what a person needs when a scenario fails."""
        ps = self.compose("ps", "--all")
        logs = self.compose("logs", "--no-color")
        return f"$ docker compose -p {self.project_name} ps -a\n{ps}\n$ docker compose logs\n{logs}"
