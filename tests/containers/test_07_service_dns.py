"""Chapter 7. Finding services by name: on a user-defined network Docker's DNS answers a
service's name; on the default bridge it does not; an unpublished service has no host port
(chapter 3 shows that no other machine then reaches it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.compose import ProjectCompose
from tests.support.containers import (
    API_MESSAGE,
    DB_ENV,
    WEBAPP_PORT,
    api_container,
    exec_output,
    fetch_inside,
    unanswering_host,
    url,
    webapp_container,
)
from tests.support.environment import Images
from tests.support.waiting import wait_for_http


@pytest.fixture(scope="module")
def stack(webapp_image: DockerImage, api_image: DockerImage) -> Iterator[ProjectCompose]:
    """The Compose stack, shared by the scenarios that only look at it."""
    with ProjectCompose() as compose:
        yield compose


def test_in_compose_the_webapp_reaches_the_api_by_its_service_name(stack: ProjectCompose) -> None:
    """Inside the webapp container, http://api:5001 answers: Compose's network resolves "api"."""
    assert stack.exec("webapp", *fetch_inside("http://api:5001/")) == (0, API_MESSAGE)


def test_the_api_publishes_no_port(stack: ProjectCompose) -> None:
    """The api has no host port, neither for the engine nor for Compose (chapter 3 shows that
    another machine then cannot reach it, while the host still can at its address)."""
    api = stack.container("api")
    assert not api.attrs["HostConfig"]["PortBindings"]
    assert all(port is None for port in api.attrs["NetworkSettings"]["Ports"].values())
    assert all(publisher.PublishedPort == 0 for publisher in stack.get_container("api").Publishers)


def test_a_network_alias_names_a_container_on_a_user_defined_network(
    webapp_image: DockerImage, api_image: DockerImage, network: Network
) -> None:
    """With plain containers: the api joins a user-defined network with the alias "api",
    and the webapp on the same network fetches its message by that name."""
    with api_container(api_image, network, publish=False), webapp_container(webapp_image, network, **DB_ENV) as webapp:
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10).text

        assert f'<p class="api-message">{API_MESSAGE}</p>' in page


def test_on_the_default_bridge_names_do_not_resolve(webapp_image: DockerImage, api_image: DockerImage) -> None:
    """Two containers on Docker's default bridge, with no network in common by name: the
    webapp cannot resolve the api container's name and says the api is unreachable."""
    with api_container(api_image, publish=False) as api:
        api_name = str(api.get_wrapped_container().name)
        with webapp_container(webapp_image, API_URL=f"http://{api_name}:5001", **DB_ENV) as webapp:
            code, _ = exec_output(webapp, "getent", "hosts", api_name)
            page = requests.get(url(webapp, WEBAPP_PORT), timeout=10).text

            assert code != 0
            assert "API unavailable: the api is unreachable" in page


def test_with_the_api_stopped_the_page_says_so_quickly_and_still_renders(
    webapp_image: DockerImage,
    api_image: DockerImage,
    network: Network,
    postgres: PostgresContainer,
) -> None:
    """Stopping the api makes the page say the api is unreachable, within the api timeout,
    while the visits are still listed."""
    with (
        api_container(api_image, network, publish=False) as api,
        webapp_container(webapp_image, network, **DB_ENV) as webapp,
    ):
        assert API_MESSAGE in requests.get(url(webapp, WEBAPP_PORT), timeout=10).text

        api.get_wrapped_container().stop(timeout=5)
        response = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        elapsed = response.elapsed.total_seconds()  # from connecting to the answer's headers

        assert response.status_code == 200
        assert "API unavailable: the api is unreachable" in response.text
        assert '<tr data-visit-id="2">' in response.text
        assert elapsed < 3.0


def test_an_api_host_that_never_answers_costs_the_page_only_the_connect_timeout(
    webapp_image: DockerImage,
    images: Images,
    network: Network,
    postgres: PostgresContainer,
) -> None:
    """A host named "api" that drops every connection attempt (no answer, no refusal): with
    the default API_CONNECT_TIMEOUT of 1 s the page answers after at least that 1 s and within
    2.5 s, saying the api did not answer, and still records and lists the visit."""
    with (
        unanswering_host(images, network, "api", 5001),
        webapp_container(webapp_image, network, **DB_ENV) as webapp,
    ):
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)

        response = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        elapsed = response.elapsed.total_seconds()  # from connecting to the answer's headers

        assert response.status_code == 200
        assert "API unavailable: the api did not answer within 1s/2s" in response.text
        assert '<tr data-visit-id="1">' in response.text
        assert 1.0 <= elapsed < 1.0 + 1.5
