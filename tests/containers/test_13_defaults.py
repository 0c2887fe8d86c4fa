"""Chapter 13. What you get by setting nothing: the defaults of docs/configuration.md, seen on
containers given nothing but a way to their database. A scenario that sets a value proves the
mechanism; these prove the value a user gets. (The timeouts and the backoff are seen at their
defaults in chapters 7, 8, 9 and 16; the Compose defaults in chapters 6 and 11.)"""

from __future__ import annotations

import re

import requests
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.containers import DB_ENV, WEBAPP_PORT, api_container, assert_never_restarted, url, webapp_container
from tests.support.defaults import API_DEFAULTS, WEBAPP_DEFAULTS
from tests.support.diagnostics import logs
from tests.support.waiting import wait_for_http, wait_until

# The database's user, password and name, which the suite's database does not share with the
# defaults; its host ("db") and port (5432) are left to them.
CREDENTIALS_ONLY = {name: value for name, value in DB_ENV.items() if name != "POSTGRES_HOST"}
SETTINGS_LINE = re.compile(r"^settings: (.*)$", re.MULTILINE)
ROW = re.compile(r'<tr data-visit-id="(\d+)"><td>\d+</td><td><time datetime="[^"]+">([^<]+)</time></td></tr>')


def test_a_webapp_given_only_its_credentials_runs_with_every_documented_default(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """Given nothing but the database's user, password and name, the webapp reaches the
    database at "db", port 5432, and logs at start the settings it resolved (the password
    left out): each is the documented default (the startup deadline, the statement timeout,
    threads and the connection budget among them, which take too long to see otherwise). As
    many server workers start as docs/configuration.md documents (two)."""
    with webapp_container(webapp_image, network, **CREDENTIALS_ONLY) as webapp:
        # The settings first, as the server logs them at its start: a wrong default address
        # fails here at once, not after the wait for a database it would never reach.
        logged = wait_until(
            lambda: SETTINGS_LINE.search(logs(webapp)), timeout=30, what="the settings line in the webapp's log"
        )
        assert CREDENTIALS_ONLY["POSTGRES_PASSWORD"] not in logs(webapp)
        resolved = dict(pair.split("=", 1) for pair in logged.group(1).split())

        # Every default in backticks but the credentials given and the host and port, which
        # the database's address shows, and WEBAPP_DB_USER, which only the migrate command reads.
        not_logged = {*CREDENTIALS_ONLY, "POSTGRES_HOST", "POSTGRES_PORT", "WEBAPP_DB_USER"}
        documented: dict[str, str] = {
            name: default for name, default in WEBAPP_DEFAULTS.items() if default is not None and name not in not_logged
        }
        assert set(resolved) - {"DATABASE"} == set(documented)
        assert {name: resolved[name] for name in documented} == documented
        assert resolved["DATABASE"].endswith("@db:5432/visits")
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)
        assert CREDENTIALS_ONLY["POSTGRES_PASSWORD"] not in logs(webapp)
        assert_never_restarted(webapp, workers=int(documented["WEB_CONCURRENCY"]))


def test_by_default_a_page_lists_the_newest_20_visits_with_times_in_utc(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """After 23 visits a page shows 20 rows, the newest first (visits 23 down to 4), each
    visit's time in UTC; the total counts all 23."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)
        for _ in range(22):
            requests.get(url(webapp, WEBAPP_PORT), timeout=10).raise_for_status()
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)

        rows = ROW.findall(page.text)
        assert [int(visit) for visit, _ in rows] == list(range(23, 3, -1))
        assert all(shown.endswith(" UTC") for _, shown in rows), rows[:3]
        assert "23 visits in all; the newest 20:" in page.text


def test_an_api_given_nothing_boots_two_workers(api_image: DockerImage, network: Network) -> None:
    """The api's gunicorn runs the number of workers docs/configuration.md documents for it
    (two) when nothing is set."""
    workers = API_DEFAULTS["WEB_CONCURRENCY"]
    assert workers is not None
    with api_container(api_image, network) as api:
        assert_never_restarted(api, workers=int(workers))
