"""A webapp container on its own: a published port, a database found by name."""

from __future__ import annotations

import requests
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import HttpWaitStrategy

from conftest import DB_NAME, DB_PASSWORD, DB_USER
from tests.support.diagnostics import Diagnostics, container_logs


def test_webapp_answers_on_a_published_host_port(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer, diagnostics: Diagnostics
) -> None:
    """Container port 5000, published on a host port Docker picks, serves the page;
    the webapp finds the database by its network alias "db" and records the visit."""
    webapp = (
        DockerContainer(str(webapp_image))
        .with_network(network)
        .with_exposed_ports(5000)
        .with_envs(POSTGRES_HOST="db", POSTGRES_USER=DB_USER, POSTGRES_PASSWORD=DB_PASSWORD, POSTGRES_DB=DB_NAME)
        .waiting_for(HttpWaitStrategy(5000, "/readyz").for_status_code(200))
    )
    with webapp:
        diagnostics.watch("webapp logs", container_logs(webapp))
        url = f"http://{webapp.get_container_host_ip()}:{webapp.get_exposed_port(5000)}"

        response = requests.get(url, timeout=10)

        assert response.status_code == 200
        assert "<h1>Hello from the webapp container!</h1>" in response.text
        visits = requests.get(f"{url}/visits.json", timeout=10).json()
        assert visits["total"] == 1
