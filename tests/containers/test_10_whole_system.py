"""Chapter 10. The whole system: webapp, api and db together from docker-compose.yml,
as `make up` starts them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import pytest
import requests

from tests.support.compose import ProjectCompose
from tests.support.environment import ROOT, Images


@pytest.fixture(scope="module")
def stack(images: Images) -> Iterator[ProjectCompose]:
    """`docker compose up --build --wait` on a host port Docker picks (WEBAPP_PORT=0),
    shared by the scenarios that only look at it."""
    compose = ProjectCompose(context=ROOT, build=True, wait=True, environment={"WEBAPP_PORT": "0"})
    with compose:
        yield compose


def test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit(stack: ProjectCompose) -> None:
    """All three services report healthy; the page shows the api's message, fetched by
    service name over the Compose network, and the visit it just recorded in PostgreSQL."""
    states = {container.Service: container.Health for container in stack.get_containers()}
    assert states == {"webapp": "healthy", "api": "healthy", "db": "healthy"}

    page = requests.get(stack.url("webapp", 5000), timeout=10)

    assert page.status_code == 200
    assert "<h1>Hello from the webapp container!</h1>" in page.text
    assert '<p class="api-message">Hello from the API container!</p>' in page.text
    assert '<tr data-visit-id="1">' in page.text


def _inspect(client: docker.DockerClient, stack: ProjectCompose, service: str) -> dict[str, Any]:
    attrs: dict[str, Any] = client.containers.get(stack.container_id(service)).attrs
    return attrs


def _exec(client: docker.DockerClient, stack: ProjectCompose, service: str, *command: str) -> tuple[int, str]:
    code, output = client.containers.get(stack.container_id(service)).exec_run(list(command))
    assert isinstance(output, bytes)  # not streamed
    assert code is not None  # exec_run waits for the command to end
    return code, output.decode(errors="replace").strip()


@pytest.mark.parametrize("service", ["webapp", "api"])
def test_the_python_services_run_with_least_privilege(
    stack: ProjectCompose, docker_client: docker.DockerClient, service: str
) -> None:
    """The webapp and the api run as a non-root user, on a read-only root filesystem (a
    tmpfs for /tmp), with every capability dropped, no way to gain privileges, bounded
    memory and processes, and a restart policy."""
    host = _inspect(docker_client, stack, service)["HostConfig"]

    assert _exec(docker_client, stack, service, "id", "-u")[1] != "0"
    assert host["ReadonlyRootfs"] is True
    root_mount_options = _exec(docker_client, stack, service, "awk", '$2 == "/" {print $4}', "/proc/mounts")[1]
    assert root_mount_options.split(",")[0] == "ro"
    assert _exec(docker_client, stack, service, "touch", "/tmp/probe")[0] == 0
    assert host["CapDrop"] == ["ALL"]
    assert not host["CapAdd"]
    assert "NoNewPrivs:\t1" in _exec(docker_client, stack, service, "cat", "/proc/1/status")[1]
    assert host["Memory"] > 0
    assert host["PidsLimit"] > 0
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["Privileged"] is False
    assert not [m for m in host.get("Binds") or [] if "docker.sock" in m]


def test_the_database_keeps_only_the_capabilities_it_needs(
    stack: ProjectCompose, docker_client: docker.DockerClient
) -> None:
    """PostgreSQL's entrypoint starts as root only to own its data directory and drop to the
    postgres user: it keeps CHOWN, FOWNER, SETGID and SETUID and nothing else, on a
    read-only root filesystem, with no way to gain privileges, bounded, restarted on a crash.
    The server itself runs as the postgres user."""
    host = _inspect(docker_client, stack, "db")["HostConfig"]

    assert host["CapDrop"] == ["ALL"]
    assert sorted(host["CapAdd"]) == ["CAP_CHOWN", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID"]
    assert host["ReadonlyRootfs"] is True
    assert "NoNewPrivs:\t1" in _exec(docker_client, stack, "db", "cat", "/proc/1/status")[1]
    assert (host["Memory"] > 0, host["PidsLimit"] > 0) == (True, True)
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert _exec(docker_client, stack, "db", "sh", "-c", "id -un $(cat /proc/1/status | awk '/^Uid/ {print $2}')")[
        1
    ] in (
        "postgres",
        "70",
    )


def test_only_the_webapp_is_published_and_only_on_loopback(
    stack: ProjectCompose, docker_client: docker.DockerClient
) -> None:
    """By default the webapp's port is published on 127.0.0.1 only (WEBAPP_BIND opens it);
    the api and the database publish nothing."""
    bindings = {
        service: _inspect(docker_client, stack, service)["HostConfig"]["PortBindings"]
        for service in ("webapp", "api", "db")
    }

    assert [binding["HostIp"] for binding in bindings["webapp"]["5000/tcp"]] == ["127.0.0.1"]
    assert not bindings["api"]
    assert not bindings["db"]
