"""Chapter 10. Data and volumes, the tutorial's closing question: where do the visits go?
A container's data lives as long as the container (or a volume); `docker compose down`
removes the containers, so without a named volume the visits are gone."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import docker
import pytest
import requests
from docker.errors import APIError
from testcontainers.core.image import DockerImage

from tests.support.compose import ProjectCompose
from tests.support.containers import visits_total

DATA_DIR = "/var/lib/postgresql/data"


def _visit(stack: ProjectCompose) -> None:
    assert requests.get(stack.url("webapp", 5000), timeout=10).status_code == 200


def _data_volume(stack: ProjectCompose) -> str:
    """The volume mounted at the database's data directory."""
    db = stack.container("db")
    (name,) = [m["Name"] for m in db.attrs["Mounts"] if m["Destination"] == DATA_DIR]
    return str(name)


@pytest.fixture
def stack_factory(webapp_image: DockerImage, api_image: DockerImage) -> Iterator[Callable[..., ProjectCompose]]:
    """Stacks made here are taken down with their volumes at the end, whatever happened."""
    made: list[ProjectCompose] = []

    def make(*files: str) -> ProjectCompose:
        stack = ProjectCompose(compose_file_name=list(files))
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop()  # down --volumes, and what an earlier down orphaned


def test_visits_survive_stop_and_start(stack_factory: Callable[..., ProjectCompose]) -> None:
    """`docker compose stop`, then `up` again, keeps the visits: the stopped containers are
    started again, with their volume."""
    stack = stack_factory("docker-compose.yml")
    stack.start()
    _visit(stack)
    _visit(stack)

    stack.compose("stop")
    stack.start()

    assert visits_total(stack.url("webapp", 5000)) == 2


def test_without_a_volume_down_loses_the_visits(
    stack_factory: Callable[..., ProjectCompose], docker_client: docker.DockerClient
) -> None:
    """After `down` and `up` the visits are gone. The data was not deleted: it stays in the
    anonymous volume the postgres image declares, which `down` leaves behind orphaned and
    the next `up` does not reattach. (The test removes it; `down -v` would have.)"""
    stack = stack_factory("docker-compose.yml")
    stack.start()
    _visit(stack)
    orphan = _data_volume(stack)

    stack.down(volumes=False)
    try:
        assert docker_client.volumes.get(orphan) is not None  # still on disk, attached to nothing
        stack.start()

        assert visits_total(stack.url("webapp", 5000)) == 0
        assert _data_volume(stack) != orphan
    finally:
        # In use only if the data was reattached after all (the claim failed): then the
        # stack's own `down --volumes` removes it.
        with contextlib.suppress(APIError):
            docker_client.volumes.get(orphan).remove(force=True)


def test_with_a_named_volume_visits_survive_down_until_the_volume_is_removed(
    stack_factory: Callable[..., ProjectCompose], docker_client: docker.DockerClient
) -> None:
    """With compose.volume.yml the data directory is the named volume `db-data`: the visits
    survive `down` and `up`; `down -v` removes the volume, and the next `up` starts empty."""
    stack = stack_factory("docker-compose.yml", "compose.volume.yml")
    stack.start()
    _visit(stack)
    _visit(stack)
    assert _data_volume(stack) == f"{stack.project_name}_db-data"

    stack.down(volumes=False)
    stack.start()
    assert visits_total(stack.url("webapp", 5000)) == 2

    stack.down(volumes=True)
    assert docker_client.volumes.list(filters={"name": f"{stack.project_name}_db-data"}) == []
    stack.start()
    assert visits_total(stack.url("webapp", 5000)) == 0
