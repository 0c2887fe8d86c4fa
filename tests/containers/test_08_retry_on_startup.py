"""Chapter 8. Retry on startup: containers start in any order; the webapp waits for the
database with a bounded retry, never hangs, and recovers by itself."""

from __future__ import annotations

import time

import requests
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.containers import DB_ENV, WEBAPP_PORT, postgres_container, url, webapp_container
from tests.support.diagnostics import Diagnostics, container_logs
from tests.support.environment import Images
from tests.support.waiting import wait_for_http, wait_until


def _logs(container: object) -> str:
    return container_logs(container)()


def test_a_webapp_started_before_the_database_works_once_it_is_up(
    webapp_image: DockerImage, images: Images, network: Network, diagnostics: Diagnostics
) -> None:
    """The webapp starts first and logs each failed attempt; once PostgreSQL is ready the
    page works within a few seconds, with no restart of the webapp."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        diagnostics.watch("webapp logs", container_logs(webapp))
        assert requests.get(url(webapp, WEBAPP_PORT, "/readyz"), timeout=10).status_code == 503

        with postgres_container(images, network):
            ready_at = time.monotonic()
            wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=10)
            page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
            recovered_in = time.monotonic() - ready_at

            assert page.status_code == 200
            assert '<li data-visit-id="1">' in page.text
            assert recovered_in < 5
            assert "database not ready (attempt 1," in _logs(webapp)
            webapp.get_wrapped_container().reload()
            assert webapp.get_wrapped_container().attrs["RestartCount"] == 0


def test_with_no_database_it_answers_unavailable_within_its_deadline(
    webapp_image: DockerImage, network: Network, diagnostics: Diagnostics
) -> None:
    """No database at all: after its startup deadline the webapp logs that it gave up, and
    every request answers "database unavailable" at once instead of hanging."""
    with webapp_container(webapp_image, network, DB_STARTUP_DEADLINE="2", **DB_ENV) as webapp:
        diagnostics.watch("webapp logs", container_logs(webapp))
        wait_until(lambda: "database still unavailable after" in _logs(webapp), timeout=15, what="the retry to give up")

        started = time.monotonic()
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        elapsed = time.monotonic() - started

        assert page.status_code == 503
        assert "Database unavailable." in page.text
        assert elapsed < 3


def test_a_database_restart_under_a_running_webapp(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer, diagnostics: Diagnostics
) -> None:
    """While the database is stopped requests fail cleanly (503, quickly); once it is back
    they succeed again, the data intact, with no restart of the webapp."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        diagnostics.watch("webapp logs", container_logs(webapp))
        page_url = url(webapp, WEBAPP_PORT)
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)
        assert requests.get(page_url, timeout=10).status_code == 200

        database = postgres.get_wrapped_container()
        database.stop(timeout=10)
        started = time.monotonic()
        outage = requests.get(page_url, timeout=10)
        assert outage.status_code == 503
        assert "Database unavailable." in outage.text
        assert time.monotonic() - started < 5

        database.start()
        recovered = wait_for_http(page_url, timeout=30)

        assert '<li data-visit-id="1">' in recovered.text
        webapp.get_wrapped_container().reload()
        assert webapp.get_wrapped_container().attrs["RestartCount"] == 0
