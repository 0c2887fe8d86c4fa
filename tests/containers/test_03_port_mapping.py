"""Chapter 3. Port mapping: publishing a port gives it a port on the host, which other machines
reach too; a port only answers through it if the process inside listens beyond its loopback
(0.0.0.0), not on 127.0.0.1 alone. An unpublished port is no wall against the host itself: on
Linux the host reaches a container at its address on a bridge network. What publishing decides
is what other machines reach."""

from __future__ import annotations

from typing import Any, cast

import pytest
import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.wait_strategies import HealthcheckWaitStrategy

from tests.support.containers import API_MESSAGE, API_PORT, api_container, exec_output, fetch_inside, url
from tests.support.diagnostics import LoggedContainer
from tests.support.neighbour import lan_neighbour
from tests.support.waiting import wait_until


def test_a_published_port_answers_on_the_host_port(api_image: DockerImage) -> None:
    """`-p HOST:5001`: the host port Docker picked forwards to the container's port 5001."""
    with api_container(api_image) as api:
        host_port = api.get_exposed_port(API_PORT)
        bindings = api.get_wrapped_container().attrs["HostConfig"]["PortBindings"]

        assert f"{API_PORT}/tcp" in bindings
        assert requests.get(f"http://127.0.0.1:{host_port}/", timeout=5).text == API_MESSAGE


def test_an_unpublished_port_has_no_host_port(api_image: DockerImage) -> None:
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


def test_the_host_reaches_an_unpublished_container_at_its_address_and_a_lan_neighbour_does_not(
    api_image: DockerImage,
) -> None:
    """What "unpublished" means, on a Linux engine: the host itself reaches an unpublished
    container at its address on its bridge network. Another machine does not: a neighbour on the
    LAN (a network namespace routed through this host, as another machine would be) cannot open a
    connection to the unpublished container's address within 3 s (on a stock engine its firewall
    drops what is not published), while it can open one to a published container at this host's
    address and host port."""
    with (
        api_container(api_image, publish=False) as hidden,
        api_container(api_image) as published,
        lan_neighbour() as neighbour,
    ):
        address = _address(hidden)
        wait_until(
            lambda: requests.get(f"http://{address}:{API_PORT}/", timeout=5).text == API_MESSAGE,
            timeout=30,
            what=f"the unpublished api to answer the host at {address}",
        )
        host_port = int(published.get_exposed_port(API_PORT))

        assert not neighbour.connects(address, API_PORT)
        assert neighbour.connects(neighbour.router, host_port)


def test_a_port_published_on_127_0_0_1_answers_the_host_and_no_lan_neighbour_not_even_at_its_address(
    api_image: DockerImage,
) -> None:
    """`-p 127.0.0.1::5001` (as the webapp is published): the host reaches it at 127.0.0.1 and a
    neighbour on the LAN does not, neither at this host's address nor at the container's own.
    Docker Engine before 28 forwards to the container's address, from any interface, the packets
    of a port published on 127.0.0.1 only (moby/moby#45610); the engine's set-up
    (scripts/ensure-engine.sh) drops a new connection forwarded into a Docker bridge unless it
    comes from one or through a port published on that interface."""
    loopback_only = LoggedContainer(str(api_image)).waiting_for(HealthcheckWaitStrategy())
    # Docker's SDK takes (address, None) for "this address, any free port"; testcontainers types
    # its ports as plain numbers.
    cast(dict[str, Any], loopback_only.ports)[f"{API_PORT}/tcp"] = ("127.0.0.1", None)
    with loopback_only as api, lan_neighbour() as neighbour:
        bindings = api.get_wrapped_container().attrs["NetworkSettings"]["Ports"][f"{API_PORT}/tcp"]
        (host_port,) = {int(binding["HostPort"]) for binding in bindings}
        address = _address(api)

        assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}
        assert requests.get(f"http://127.0.0.1:{host_port}/", timeout=5).text == API_MESSAGE
        assert not neighbour.connects(neighbour.router, host_port)
        assert not neighbour.connects(address, API_PORT)


def _address(container: DockerContainer) -> str:
    """The container's address on its (one) Docker network."""
    wrapped = container.get_wrapped_container()
    wrapped.reload()
    (network,) = wrapped.attrs["NetworkSettings"]["Networks"].values()
    return str(network["IPAddress"])


def test_several_containers_of_one_image_on_different_host_ports(api_image: DockerImage) -> None:
    """Three containers all listen on 5001 inside; each is published on its own host port."""
    with api_container(api_image) as a, api_container(api_image) as b, api_container(api_image) as c:
        ports = {container.get_exposed_port(API_PORT) for container in (a, b, c)}

        assert len(ports) == 3
        for container in (a, b, c):
            assert requests.get(url(container, API_PORT), timeout=5).text == API_MESSAGE


def test_a_server_listening_on_loopback_inside_cannot_be_reached_through_the_mapping(api_image: DockerImage) -> None:
    """Published traffic arrives on the container's network interface, not its loopback:
    a server listening on 127.0.0.1 answers inside the container, but a request to its
    published port on the host fails.
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
