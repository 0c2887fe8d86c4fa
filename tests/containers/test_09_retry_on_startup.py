"""Chapter 9. Retry on startup: containers start in any order; the webapp waits for the
database with a bounded retry, never hangs, and recovers by itself."""

from __future__ import annotations

import itertools
import re
import time

import requests
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.containers import (
    DB_ENV,
    DB_USER,
    WEBAPP_PORT,
    assert_never_restarted,
    postgres_container,
    url,
    webapp_container,
)
from tests.support.diagnostics import logs
from tests.support.environment import Images
from tests.support.waiting import ExecWaitStrategy, wait_for_http, wait_until

# Each server worker waits on its own; the log names the worker's pid.
ATTEMPT = re.compile(r"\[(\d+)\] WARNING app.startup: database not ready \(attempt (\d+), ([\d.]+)s elapsed\)")
GAVE_UP = re.compile(r"database still unavailable after ([\d.]+)s")
READY = "database at "


def _attempt_times(container: DockerContainer) -> dict[str, list[float]]:
    """Seconds since the retry began at each failed attempt, by worker (pid), as logged."""
    by_worker: dict[str, list[float]] = {}
    for pid, _, elapsed in ATTEMPT.findall(logs(container)):
        by_worker.setdefault(pid, []).append(float(elapsed))
    return by_worker


def _attempts_of_each_worker(container: DockerContainer, at_least: int) -> bool:
    """Whether both server workers (WEB_CONCURRENCY=2) have logged `at_least` attempts."""
    workers = _attempt_times(container).values()
    return len(workers) == 2 and all(len(times) >= at_least for times in workers)


def _capped_attempts_of_each_worker(container: DockerContainer, at_least: int, cap: float) -> bool:
    """As _attempts_of_each_worker, and no gap between attempts so far longer than `cap` (plus a
    failed attempt's time and the log's rounding: half a second)."""
    for times in _attempt_times(container).values():
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(gap <= cap + 0.5 for gap in gaps), gaps
    return _attempts_of_each_worker(container, at_least)


def _page_requests(container: DockerContainer) -> list[str]:
    """Access-log lines of requests that need the database (anything but /healthz)."""
    return [line for line in logs(container).splitlines() if '"GET /' in line and "/healthz" not in line]


def test_the_retry_backs_off_exponentially_up_to_its_cap(webapp_image: DockerImage, network: Network) -> None:
    """With no database yet, the webapp logs one line per failed attempt, and the pauses
    between attempts grow from DB_RETRY_INITIAL_DELAY (0.2 s) to DB_RETRY_MAX_DELAY (0.8 s) by
    the third pause, then stay there."""
    settings = {"DB_RETRY_INITIAL_DELAY": "0.2", "DB_RETRY_MAX_DELAY": "0.8", **DB_ENV}
    with webapp_container(webapp_image, network, **settings) as webapp:
        wait_until(lambda: _attempts_of_each_worker(webapp, 7), timeout=20, what="seven failed attempts per worker")

        for times in _attempt_times(webapp).values():
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            # 0.2, 0.4, 0.8, 0.8, ...: each gap is a pause plus one failed attempt (the name "db"
            # does not resolve: milliseconds, up to a few tenths on a loaded machine), and the log
            # rounds to 0.1 s.
            assert 0.15 <= gaps[0] < 0.5, gaps
            assert gaps[2] >= 0.65, gaps
            assert gaps[2] >= gaps[0] + 0.3, gaps
            assert all(gap <= 0.8 + 0.35 for gap in gaps), gaps
            assert all(gap >= 0.65 for gap in gaps[3:]), gaps


def test_the_webapp_is_ready_within_a_backoff_step_of_the_database_and_before_any_request(
    webapp_image: DockerImage, images: Images, network: Network
) -> None:
    """The webapp starts first and retries in the background with its default backoff: the
    first pause is under half a second, and no pause goes past the 2 s cap (with half a
    second's margin). Started once each worker has made eight attempts, PostgreSQL is reached
    within about one capped step (under 3 s), before any request has asked for a page; the
    first page then works, with no restart."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        # 0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 2 + 2 s: the eighth attempt is well into the cap. A pause
        # longer than the cap fails at once, not when the eighth attempt comes.
        wait_until(
            lambda: _capped_attempts_of_each_worker(webapp, 8, 2.0), timeout=30, what="the retry to reach its cap"
        )
        for times in _attempt_times(webapp).values():
            assert times[1] - times[0] < 0.45, times  # the first pause, with the log's rounding

        with postgres_container(images, network):
            database_ready_at = time.monotonic()
            wait_until(lambda: READY in logs(webapp), timeout=40, what="the webapp to reach the database")
            reached_after = time.monotonic() - database_ready_at

            assert reached_after < 2 + 1.0  # one capped step, and a margin for a loaded machine
            assert _page_requests(webapp) == []
            page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
            assert page.status_code == 200
            assert '<tr data-visit-id="1">' in page.text
            assert_never_restarted(webapp)


def test_with_no_database_it_gives_up_at_its_deadline_and_answers_unavailable_at_once(
    webapp_image: DockerImage, network: Network
) -> None:
    """No database at all and DB_STARTUP_DEADLINE=3: the webapp keeps trying for the whole 3 s,
    gives up by about one backoff step later (and logs it), and then a request is answered
    503 "Database unavailable." in under 3 s instead of hanging."""
    settings = {"DB_STARTUP_DEADLINE": "3", "DB_RETRY_MAX_DELAY": "0.5", **DB_ENV}
    with webapp_container(webapp_image, network, **settings) as webapp:
        wait_until(lambda: len(GAVE_UP.findall(logs(webapp))) == 2, timeout=10, what="both workers to give up")

        for gave_up_after in GAVE_UP.findall(logs(webapp)):
            assert 3.0 <= float(gave_up_after) < 3.0 + 0.5 + 0.5
        for times in _attempt_times(webapp).values():
            assert times[-1] >= 3.0 - 0.5  # still trying within one capped step of the deadline

        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        elapsed = page.elapsed.total_seconds()  # from connecting to the answer's headers

        assert page.status_code == 503
        assert "Database unavailable." in page.text
        assert elapsed < 3


def test_a_database_restart_under_a_running_webapp(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """While the database is stopped a request fails cleanly (503, in under 5 s); once it is
    back the page succeeds again, the data intact, with no restart of the webapp."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        page_url = url(webapp, WEBAPP_PORT)
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)
        assert requests.get(page_url, timeout=10).status_code == 200

        database = postgres.get_wrapped_container()
        database.stop(timeout=10)
        outage = requests.get(page_url, timeout=10)
        assert outage.status_code == 503
        assert "Database unavailable." in outage.text
        assert outage.elapsed.total_seconds() < 5

        database.start()
        recovered = wait_for_http(page_url, timeout=30)

        assert '<tr data-visit-id="1">' in recovered.text
        assert_never_restarted(webapp)


def test_after_a_database_restart_the_first_request_already_succeeds(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """The pool's connections die with a database restart. Pooled connections are checked
    before use (pre-ping), so once the database is back, the very first requests
    succeed: none of them meets a dead connection."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        page_url = url(webapp, WEBAPP_PORT)
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)
        # A new connection each (no keep-alive), so both workers serve some and pool a connection.
        for _ in range(12):
            assert requests.get(page_url, timeout=10).status_code == 200

        postgres.get_wrapped_container().restart(timeout=10)
        ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1", "-U", DB_USER]).wait_until_ready(postgres)

        statuses = [requests.get(page_url, timeout=10).status_code for _ in range(12)]

        assert statuses == [200] * 12
