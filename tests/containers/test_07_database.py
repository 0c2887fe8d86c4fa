"""Chapter 7. The database: the webapp connects with the user, password and database it
is given, stores each visit as a row, and reports a wrong password instead of crashing."""

from __future__ import annotations

import requests
import sqlalchemy
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.containers import DB_ENV, DB_NAME, DB_USER, WEBAPP_PORT, url, webapp_container
from tests.support.diagnostics import Diagnostics, container_logs
from tests.support.waiting import wait_for_http


def test_each_visit_is_a_row_listed_newest_first(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer, diagnostics: Diagnostics
) -> None:
    """Three page views make three rows in the database the webapp was given, written by
    the user it was given; the JSON view lists them newest first."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        diagnostics.watch("webapp logs", container_logs(webapp))
        for _ in range(3):
            assert requests.get(url(webapp, WEBAPP_PORT), timeout=10).status_code == 200

        listed = requests.get(url(webapp, WEBAPP_PORT, "/visits.json"), timeout=10).json()

        engine = sqlalchemy.create_engine(postgres.get_connection_url())
        with engine.connect() as db:
            rows = (
                db.execute(sqlalchemy.text("SELECT id FROM visits ORDER BY visited_at DESC, id DESC")).scalars().all()
            )
            sessions = db.execute(
                sqlalchemy.text(
                    "SELECT DISTINCT usename, datname FROM pg_stat_activity WHERE application_name = 'webapp'"
                )
            ).all()
        engine.dispose()

        assert listed["total"] == 3
        assert [visit["id"] for visit in listed["visits"]] == rows == [3, 2, 1]
        assert sessions == [(DB_USER, DB_NAME)]


def test_a_wrong_password_is_reported_not_crash_looped(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer, diagnostics: Diagnostics
) -> None:
    """With a wrong password the webapp keeps running (no restart) and says why it cannot
    reach the database: readiness answers 503 naming the failed authentication."""
    wrong = {**DB_ENV, "POSTGRES_PASSWORD": "not-the-password", "DB_STARTUP_DEADLINE": "1"}
    with webapp_container(webapp_image, network, **wrong) as webapp:
        diagnostics.watch("webapp logs", container_logs(webapp))

        ready = wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), status=503, timeout=30)
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)

        assert 'password authentication failed for user "webapp"' in ready.json()["reason"]
        assert page.status_code == 503
        assert "Database unavailable." in page.text
        state = webapp.get_wrapped_container()
        state.reload()
        assert state.status == "running"
        assert state.attrs["RestartCount"] == 0
