"""Chapter 3. Port mapping: a container's port is reachable from the host only when it is
published, and only if the process inside listens on all interfaces."""

from __future__ import annotations

import pytest
import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage

from tests.support.containers import API_MESSAGE, API_PORT, api_container, exec_output, fetch_inside, url
from tests.support.waiting import wait_until


def test_a_published_port_answers_on_the_host_port(api_image: DockerImage) -> None:
    """`-p HOST:5001`: the host port Docker picked forwards to the container's port 5001."""
    with api_container(api_image) as api:
        host_port = api.get_exposed_port(API_PORT)
        bindings = api.get_wrapped_container().attrs["HostConfig"]["PortBindings"]

        assert f"{API_PORT}/tcp" in bindings
        assert requests.get(f"http://127.0.0.1:{host_port}/", timeout=5).text == API_MESSAGE


def test_an_unpublished_port_has_no_way_in_from_the_host(api_image: DockerImage) -> None:
    """The same server, not published: it answers inside the container, and the host has
    no port that leads to it."""
    with api_container(api_image, publish=False) as api:
        wait_until(
            lambda: exec_output(api, *fetch_inside(f"http://127.0.0.1:{API_PORT}/")) == (0, API_MESSAGE),
            timeout=30,
            what="the api to answer inside its container",
        )
        api.get_wrapped_container().reload()
        ports = api.get_wrapped_container().attrs["NetworkSettings"]["Ports"]

        assert ports.get(f"{API_PORT}/tcp") is None
        assert api.get_wrapped_container().attrs["HostConfig"]["PortBindings"] in (None, {})


def test_several_containers_of_one_image_on_different_host_ports(api_image: DockerImage) -> None:
    """Three containers all listen on 5001 inside; each is published on its own host port."""
    with api_container(api_image) as a, api_container(api_image) as b, api_container(api_image) as c:
        ports = {container.get_exposed_port(API_PORT) for container in (a, b, c)}

        assert len(ports) == 3
        for container in (a, b, c):
            assert requests.get(url(container, API_PORT), timeout=5).text == API_MESSAGE


def test_a_server_listening_on_loopback_inside_cannot_be_reached_through_the_mapping(api_image: DockerImage) -> None:
    """Published traffic arrives on the container's network interface, not its loopback:
    a server listening on 127.0.0.1 answers inside the container and never from the host.
    This is why the webapp and the api bind 0.0.0.0."""
    loopback_only = (
        DockerContainer(str(api_image))
        .with_exposed_ports(API_PORT)
        .with_command(
            ["gunicorn", "--config", "gunicorn_conf.py", "--bind", f"127.0.0.1:{API_PORT}", "service:create_app()"]
        )
    )
    with loopback_only as api:
        wait_until(
            lambda: exec_output(api, *fetch_inside(f"http://127.0.0.1:{API_PORT}/")) == (0, API_MESSAGE),
            timeout=30,
            what="the api to answer on 127.0.0.1 inside its container",
        )

        with pytest.raises(requests.ConnectionError):
            requests.get(url(api, API_PORT), timeout=5)
