"""Every scenario in this folder starts real containers."""

from __future__ import annotations

import subprocess

import docker
import pytest

from tests.support.environment import ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/containers/" in item.nodeid:
            item.add_marker(pytest.mark.container)


@pytest.fixture(autouse=True)
def _engine(docker_client: docker.DockerClient) -> None:
    """Each scenario checks the engine first, and so enrols in the session-end sweep."""


@pytest.fixture(scope="session", autouse=True)
def _compose_secrets() -> None:
    """The password files docker-compose.yml names, made as `make up` makes them."""
    subprocess.run([str(ROOT / "scripts" / "ensure-secrets.sh")], check=True)
