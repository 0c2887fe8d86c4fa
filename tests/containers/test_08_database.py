"""Chapter 8. The database: the webapp connects with the user, password and database it
is given, stores each visit as a row, and reports a wrong password instead of crashing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import sqlalchemy
from docker.models.containers import Container
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.containers import (
    DB_ENV,
    DB_NAME,
    DB_USER,
    WEBAPP_PORT,
    assert_never_restarted,
    migrate_to_head,
    postgres_container,
    timed_stop,
    unanswering_host,
    url,
    webapp_container,
)
from tests.support.diagnostics import LoggedContainer, logs
from tests.support.environment import ROOT, Images
from tests.support.waiting import ExecWaitStrategy, wait_for_http, wait_until


def test_each_visit_is_a_row_listed_newest_first(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """Three page views make three rows in the database the webapp was given, written by
    the user it was given; the third page and the JSON view list them newest first, with
    their total."""
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        pages = [requests.get(url(webapp, WEBAPP_PORT), timeout=10) for _ in range(3)]

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

        assert [page.status_code for page in pages] == [200, 200, 200]
        assert "3 visits in all" in pages[-1].text
        assert [int(n) for n in re.findall(r'data-visit-id="(\d+)"', pages[-1].text)] == [3, 2, 1]
        assert listed["total"] == 3
        assert [visit["id"] for visit in listed["visits"]] == rows == [3, 2, 1]
        assert [tuple(session) for session in sessions] == [(DB_USER, DB_NAME)]


@pytest.mark.parametrize("page_size", [None, "1"], ids=["the default page", "a page of one visit"])
def test_a_request_sent_again_with_its_request_id_is_recorded_once(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer, page_size: str | None
) -> None:
    """A proxy that loses a webapp mid-request sends the request again, with the id it gave
    it (X-Request-Id): the webapp records a visit once per id. The same id twice makes one
    row (both pages answer 200, also on a page of one visit, `VISITS_PAGE_SIZE=1`), two ids
    make two, and pages without an id (or with one that is not an id) each make their own."""
    first, second = "0123456789abcdef0123456789abcdef", "fedcba98-7654-3210-fedc-ba9876543210"
    sent = [{"X-Request-Id": first}, {"X-Request-Id": first}, {"X-Request-Id": second}, {}, {"X-Request-Id": "x"}]
    sized = {} if page_size is None else {"VISITS_PAGE_SIZE": page_size}
    with webapp_container(webapp_image, network, **DB_ENV, **sized) as webapp:
        pages = [requests.get(url(webapp, WEBAPP_PORT), headers=headers, timeout=10) for headers in sent]
        listed = requests.get(url(webapp, WEBAPP_PORT, "/visits.json"), timeout=10).json()
        engine = sqlalchemy.create_engine(postgres.get_connection_url())
        try:
            with engine.connect() as db:
                ids = db.execute(sqlalchemy.text("SELECT request_id::text FROM visits ORDER BY id")).scalars().all()
        finally:
            engine.dispose()

    assert [page.status_code for page in pages] == [200] * 5
    assert "1 visit in all" in pages[1].text
    assert [int(n) for n in re.findall(r'data-visit-id="(\d+)"', pages[1].text)] == [1]
    assert ids == ["01234567-89ab-cdef-0123-456789abcdef", second, None, None]
    assert listed["total"] == 4


def test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand(
    webapp_image: DockerImage, images: Images, network: Network
) -> None:
    """The page's total stays exact: a database from before that count existed keeps its
    visits in the total once migrated (and learns to record a request sent again once), and
    rows deleted or emptied by hand leave the total on the next page. (The database keeps it
    with triggers, in the same transaction as each change: migration 0002.)"""
    with postgres_container(images, network, migrated=False) as postgres:
        _old_visits_counted(webapp_image, network, postgres)


def _old_visits_counted(webapp_image: DockerImage, network: Network, postgres: PostgresContainer) -> None:
    engine = sqlalchemy.create_engine(postgres.get_connection_url())
    try:
        with engine.begin() as db:  # the table as an earlier version of the webapp left it
            db.execute(
                sqlalchemy.text(
                    "CREATE TABLE visits (id SERIAL PRIMARY KEY, visited_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
            )
            db.execute(sqlalchemy.text("INSERT INTO visits (visited_at) SELECT now() FROM generate_series(1, 5)"))
        migrate_to_head(postgres.get_connection_url())
        with webapp_container(webapp_image, network, **DB_ENV) as webapp:
            listing = url(webapp, WEBAPP_PORT, "/visits.json")
            before = requests.get(listing, timeout=10).json()["total"]
            # The same request twice, as a proxy sends it again: one visit.
            again = {"X-Request-Id": "0123456789abcdef0123456789abcdef"}
            twice = [requests.get(url(webapp, WEBAPP_PORT), headers=again, timeout=10) for _ in range(2)]
            assert [page.status_code for page in twice] == [200, 200]
            after_a_visit = requests.get(listing, timeout=10).json()["total"]
            with engine.begin() as db:
                db.execute(sqlalchemy.text("DELETE FROM visits WHERE id <= 2"))
            after_deleting_two = requests.get(listing, timeout=10).json()["total"]
            with engine.begin() as db:
                db.execute(sqlalchemy.text("TRUNCATE visits"))
            assert requests.get(url(webapp, WEBAPP_PORT), timeout=10).status_code == 200
            after_emptying_and_a_visit = requests.get(listing, timeout=10).json()["total"]
    finally:
        engine.dispose()

    assert (before, after_a_visit, after_deleting_two, after_emptying_and_a_visit) == (5, 6, 4, 1)


def test_a_migration_of_the_table_while_the_webapp_runs_costs_no_page(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """Each pooled connection prepares the page's statement once. A migration that changes a
    column the page returns changes what that statement returns: PostgreSQL refuses a plan
    made before, and the webapp prepares it anew. Here the visit times' precision is changed
    (to milliseconds) while the webapp runs: every page, six before and six after, answers 200
    and records one visit (twelve rows, and the last page says 12 visits in all)."""
    engine = sqlalchemy.create_engine(postgres.get_connection_url())
    try:
        with webapp_container(webapp_image, network, **DB_ENV) as webapp:
            page = url(webapp, WEBAPP_PORT)
            # A new connection each, so that both workers serve pages and prepare the statement.
            before = [requests.get(page, timeout=10, headers={"Connection": "close"}).status_code for _ in range(6)]
            with engine.begin() as db:
                db.execute(sqlalchemy.text("ALTER TABLE visits ALTER COLUMN visited_at TYPE timestamptz(3)"))
            after = [requests.get(page, timeout=10, headers={"Connection": "close"}) for _ in range(6)]
            with engine.connect() as db:
                rows = db.execute(sqlalchemy.text("SELECT count(*) FROM visits")).scalar_one()
    finally:
        engine.dispose()

    assert before == [200] * 6
    assert [answer.status_code for answer in after] == [200] * 6
    assert "12 visits in all" in after[-1].text
    assert rows == 12


@pytest.mark.security
def test_a_wrong_password_is_reported_not_crash_looped(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """With a wrong password the webapp keeps running (no restart): readiness and the page
    answer 503 "database unavailable", and its log says why (the failed password
    authentication for its role), while no answer holds the password, the role as a user
    (`user "webapp"`), the database's host (`"db"`) or its port (5432)."""
    wrong = {**DB_ENV, "POSTGRES_PASSWORD": "not-the-password", "DB_STARTUP_DEADLINE": "1"}
    with webapp_container(webapp_image, network, **wrong) as webapp:
        ready = wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), status=503, timeout=30)
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        listing = requests.get(url(webapp, WEBAPP_PORT, "/visits.json"), timeout=10)

        assert ready.json() == {"status": "unavailable", "reason": "database unavailable"}
        assert (page.status_code, listing.status_code) == (503, 503)
        assert "Database unavailable." in page.text
        for answer in (ready.text, page.text, listing.text):
            assert not [word for word in ("not-the-password", f'user "{DB_USER}"', '"db"', "5432") if word in answer]
        assert 'password authentication failed for user "webapp"' in logs(webapp)
        assert_never_restarted(webapp)


# What the image's entrypoint says once its first start's scripts have all run.
FIRST_START_DONE = "PostgreSQL init process complete; ready for start up."


def _stopped(container: Container) -> bool:
    container.reload()
    return bool(container.status == "exited")


@pytest.mark.security
@pytest.mark.parametrize(
    ("role", "says"),
    [
        ("postgres", 'role "postgres" already exists'),
        ("Web App", "WEBAPP_DB_USER='Web App' is not a plain role name"),
    ],
    ids=["taken", "not-a-name"],
)
def test_a_webapp_role_that_cannot_be_made_stops_the_first_start_with_why_and_no_password(
    images: Images, tmp_path: Path, role: str, says: str
) -> None:
    """db/initdb.d/ makes the webapp's role on the database's first start. A name that is no
    plain role name is refused with a message naming WEBAPP_DB_USER; a name the server
    refuses (the superuser's own) stops the start with the server's reason. Either way the
    container stops, and the role's password reaches no log: the failed statement, which
    holds it, is not logged."""
    password = tmp_path / "webapp-password"
    password.write_text("never-in-a-log\n")
    password.chmod(0o644)
    database = (
        LoggedContainer(images.postgres)
        .with_envs(POSTGRES_PASSWORD="superuser-secret", WEBAPP_DB_USER=role, WEBAPP_DB_PASSWORD_FILE="/run/webapp")
        .with_volume_mapping(str(password), "/run/webapp", "ro")
        .with_volume_mapping(str(ROOT / "db" / "initdb.d"), "/docker-entrypoint-initdb.d", "ro")
    )
    with database:
        container = database.get_wrapped_container()
        # Stopped, or through its first start's scripts (then it starts for good and would
        # not stop): either ends the wait, so a start that goes on fails here at once.
        wait_until(
            lambda: _stopped(container) or FIRST_START_DONE in logs(database),
            timeout=60,
            what="the database to stop, or to finish its first start's scripts",
        )
        exit_code = container.wait(timeout=10)["StatusCode"] if _stopped(container) else None
        log = logs(database)

    assert exit_code is not None, f"the first start went on with WEBAPP_DB_USER={role!r}:\n{log[-2000:]}"
    assert exit_code != 0
    assert says in log
    assert "never-in-a-log" not in log


def test_the_database_image_reads_its_password_from_a_file_and_stops_fast(images: Images, tmp_path: Path) -> None:
    """The postgres image's contract, as the official image keeps it: POSTGRES_PASSWORD_FILE
    names a file (a Docker secret) holding the password; `docker stop` is a fast shutdown (the
    image's STOPSIGNAL is SIGINT) that ends cleanly (exit code 0) within 3 s, even with a client
    still connected, instead of waiting for its clients to leave."""
    secret = tmp_path / "db-password"
    secret.write_text("from-a-secret-file\n")
    secret.chmod(0o644)
    database = (
        DockerContainer(images.postgres)
        .with_envs(POSTGRES_USER="owner", POSTGRES_DB="store", POSTGRES_PASSWORD_FILE="/run/secrets/db-password")
        .with_volume_mapping(str(secret), "/run/secrets/db-password", "ro")
        .with_exposed_ports(5432)
        .waiting_for(ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1", "-U", "owner", "-d", "store"]))
    )
    with database:
        host, port = database.get_container_host_ip(), database.get_exposed_port(5432)
        engine = sqlalchemy.create_engine(f"postgresql+psycopg2://owner:from-a-secret-file@{host}:{port}/store")
        client = engine.connect()
        assert client.execute(sqlalchemy.text("SELECT current_user, current_database()")).one() == ("owner", "store")
        wrong = sqlalchemy.create_engine(f"postgresql+psycopg2://owner:guess@{host}:{port}/store")
        with pytest.raises(sqlalchemy.exc.OperationalError, match="password authentication failed"):
            wrong.connect()
        wrong.dispose()

        elapsed, exit_code = timed_stop(database)  # the client is still connected
        client.invalidate()
        engine.dispose()

        assert exit_code == 0
        assert elapsed < 3


def test_a_database_host_that_never_answers_costs_a_request_only_the_connect_timeout(
    webapp_image: DockerImage, images: Images, network: Network
) -> None:
    """A host named "db" that drops every connection attempt (no answer, no refusal): with
    the default DB_CONNECT_TIMEOUT of 2 s, a page answers "database unavailable" (503) within
    4.5 s, its log saying the connect timed out, instead of waiting for the operating system to
    give up after minutes."""
    with (
        unanswering_host(images, network, "db", 5432),
        webapp_container(webapp_image, network, **DB_ENV) as webapp,
    ):
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        elapsed = page.elapsed.total_seconds()  # from connecting to the answer's headers

        assert page.status_code == 503
        assert "Database unavailable." in page.text
        assert "timeout expired" in logs(webapp)
        assert elapsed < 2 + 2.5


def test_a_request_waiting_on_a_lock_held_elsewhere_ends_at_the_statement_timeout(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """Another connection holds a lock on the visits table: a page that needs it has its
    statement cancelled by DB_STATEMENT_TIMEOUT (1 s here) and answers 503 within 3 s, instead
    of holding a request thread for as long as the lock lasts; once the lock is released pages
    work again."""
    with webapp_container(webapp_image, network, DB_STATEMENT_TIMEOUT="1", **DB_ENV) as webapp:
        page_url = url(webapp, WEBAPP_PORT)
        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=30)
        engine = sqlalchemy.create_engine(postgres.get_connection_url())
        try:
            with engine.connect() as holder:
                holder.execute(sqlalchemy.text("LOCK TABLE visits IN ACCESS EXCLUSIVE MODE"))

                blocked = requests.get(page_url, timeout=10)
                elapsed = blocked.elapsed.total_seconds()  # from connecting to the answer's headers

                holder.rollback()
            assert blocked.status_code == 503
            assert 1.0 <= elapsed < 1.0 + 2.0
            assert "canceling statement due to statement timeout" in logs(webapp)
            assert requests.get(page_url, timeout=10).status_code == 200
        finally:
            engine.dispose()
