"""Chapter 10. The whole system: webapp, api and db together from docker-compose.yml,
as `make up` starts them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support.compose import ProjectCompose
from tests.support.environment import ROOT, Images


@pytest.fixture
def stack(images: Images) -> Iterator[ProjectCompose]:
    """`docker compose up --build --wait` on a host port Docker picks (WEBAPP_PORT=0)."""
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
