"""Chapter 20. The suite cleans up after itself: the containers, networks and volumes a
scenario starts are removed by the end of its session, even when the scenario fails without
stopping anything."""

from __future__ import annotations

import docker
import pytest

from tests.support.cleanup import Filters
from tests.support.environment import ROOT
from tests.support.marks import SESSION_LABEL

LEAKY_SCENARIO = """
import os
from pathlib import Path

from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.labels import SESSION_ID
from testcontainers.core.network import Network

from tests.support.compose import ProjectCompose


def test_fails_and_leaves_everything_running(docker_client, images):
    record = Path(os.environ["LEAK_RECORD"])
    network = Network().create()
    database = PostgresContainer(images.postgres).with_network(network).start()
    stack = ProjectCompose(services=["api"])
    stack.start()
    volumes = [m["Name"] for m in database.get_wrapped_container().attrs["Mounts"]]
    record.write_text("\\n".join([SESSION_ID, stack.project_name, *volumes]))
    raise AssertionError("fails on purpose, stopping nothing")
"""


def test_a_failed_scenario_leaves_nothing_behind(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, docker_client: docker.DockerClient
) -> None:
    """A scenario that starts a network, a PostgreSQL container (with its anonymous volume)
    and a Compose stack, then fails without stopping them: once its session ends, none of
    them is on the engine."""
    pytester.makepyfile(test_leaky=LEAKY_SCENARIO)
    record = pytester.path / "leaked.txt"
    monkeypatch.setenv("LEAK_RECORD", str(record))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    # A session of its own (its own process, so its own session id), with the suite's conftest.
    result = pytester.runpytest_subprocess("-p", "conftest", "-p", "no:cacheprovider", "-q", timeout=300)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fails on purpose*", "*session cleanup removed leftovers*"])
    session_id, project, *volumes = record.read_text().splitlines()

    session: Filters = {"label": f"{SESSION_LABEL}={session_id}"}
    stack: Filters = {"label": f"com.docker.compose.project={project}"}
    try:
        assert docker_client.containers.list(all=True, filters=session) == []
        assert docker_client.containers.list(all=True, filters=stack) == []
        assert docker_client.networks.list(filters=session) == []
        assert docker_client.networks.list(filters=stack) == []
        assert volumes
        assert all(docker_client.volumes.list(filters={"name": name}) == [] for name in volumes)
    finally:
        # If the child's cleanup failed, what it left goes now: this scenario leaves nothing either.
        for container in [
            *docker_client.containers.list(all=True, filters=session),
            *docker_client.containers.list(all=True, filters=stack),
        ]:
            container.remove(force=True, v=True)
        for network in [*docker_client.networks.list(filters=session), *docker_client.networks.list(filters=stack)]:
            network.remove()
        for volume in [v for name in volumes for v in docker_client.volumes.list(filters={"name": name})]:
            volume.remove(force=True)
