"""Every scenario in this folder starts real containers."""

from __future__ import annotations

import subprocess

import docker
import pytest

from tests.support.environment import ROOT
from tests.support.swarm import wait_for_no_pristine_machine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/containers/" in item.nodeid:
            item.add_marker(pytest.mark.container)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """A session that joins a swarm (chapter 18) first waits for a rehearsal running beside it
    (the gate starts one with `make test`) to end: here, before its first scenario, because a
    wait inside a fixture counts against that scenario's timeout."""
    if session.config.option.collectonly or not any(item.get_closest_marker("swarm") for item in session.items):
        return
    client = docker.from_env()
    try:
        wait_for_no_pristine_machine(client)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _engine(docker_client: docker.DockerClient) -> None:
    """Each scenario checks the engine first, and so enrols in the session-end sweep."""


@pytest.fixture(scope="session", autouse=True)
def _compose_secrets() -> None:
    """The password files docker-compose.yml names, made as `make up` makes them."""
    subprocess.run([str(ROOT / "scripts" / "ensure-secrets.sh")], check=True)
