"""Chapter 14. Migrations and roles: the schema is made and changed by Alembic's migrations, in
a one-shot `migrate` service that runs as the database's owner before the webapp starts; the
webapp logs in as a role that may do what a page needs and nothing more, and creates nothing."""

from __future__ import annotations

import itertools
import logging
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy
from sqlalchemy import Engine, text
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from app import migrate
from app.schema import head
from tests.support.compose import ProjectCompose
from tests.support.containers import (
    DB_ENV,
    DB_USER,
    SCHEMA_OWNERS,
    WEBAPP_PORT,
    assert_never_restarted,
    exec_in,
    postgres_container,
    psql_as_superuser,
    url,
    visits_total,
    webapp_container,
)
from tests.support.diagnostics import LoggedContainer, logs
from tests.support.environment import API_REPOSITORY, ROOT, WEBAPP_REPOSITORY, Images
from tests.support.waiting import wait_for_http, wait_until

# The last commit before the migrations: its webapp made and owned its own schema.
RELEASE_BEFORE_MIGRATIONS = "c738d7f"
# What that release builds and runs, kept in the repository (not read from its history, which a
# shallow clone or a source archive lacks); tests/unit/test_release_fixture.py proves it is that
# release's own files.
RELEASE_FILES = ROOT / "tests" / "fixtures" / f"release-{RELEASE_BEFORE_MIGRATIONS}"
MIGRATED = f"the schema went from nothing to {head()}"


@pytest.fixture
def empty_database(images: Images, network: Network) -> Iterator[PostgresContainer]:
    """PostgreSQL on `network` as "db" with no schema at all: no migration has run."""
    with postgres_container(images, network, migrated=False) as database:
        yield database


@pytest.fixture
def owner(empty_database: PostgresContainer) -> Iterator[Engine]:
    """The empty database, as its owner (the superuser the migrations run as)."""
    engine = sqlalchemy.create_engine(empty_database.get_connection_url())
    yield engine
    engine.dispose()


def _schema(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """What the migrations make, as the catalogue lists it: columns, indexes, triggers, functions
    (not Alembic's own bookkeeping, alembic_version, which stays, empty, at the base)."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'alembic_version' "
        "ORDER BY 1, 2",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1",
        "triggers": "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
        "functions": "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
        "sequences": "SELECT sequencename, data_type, max_value FROM pg_sequences WHERE schemaname = 'public'",
    }
    with engine.connect() as connection:
        return {
            name: [tuple(str(v) for v in row) for row in connection.execute(text(q))] for name, q in queries.items()
        }


def test_each_migration_has_a_downgrade_that_undoes_it_and_the_tables_agree_with_the_code(owner: Engine) -> None:
    """Step by step, each migration's downgrade leaves the schema exactly as it was before the
    upgrade (columns, indexes, triggers, functions, sequences), down to nothing; and at the
    head, `alembic check` finds no difference between the tables the code queries
    (app/visits.py) and the tables the migrations made."""
    with owner.begin() as connection:
        connection.execute(text("CREATE ROLE page_only LOGIN"))
    revisions = ["base", "0001", "0002", "0003", "0004"]
    assert revisions[-1] == head()
    before = {"base": _schema(owner)}
    for earlier, later in itertools.pairwise(revisions):
        migrate.upgrade(owner, "page_only", later)
        migrate.downgrade(owner, earlier)
        assert _schema(owner) == before[earlier], f"downgrading {later} to {earlier}"
        migrate.upgrade(owner, "page_only", later)
        before[later] = _schema(owner)

    assert before["base"] == {"columns": [], "indexes": [], "triggers": [], "functions": [], "sequences": []}
    migrate.check(owner)  # raises when the code's tables and the migrations' differ


def test_until_the_schema_is_at_head_the_webapp_answers_database_not_ready_and_creates_nothing(
    webapp_image: DockerImage, network: Network, owner: Engine
) -> None:
    """A webapp on a database no migration has run on answers readiness, the page and the JSON
    view with 503 "database not ready" (readiness says why), and makes no table of its own.
    Once the migrations run, it serves pages, with no restart."""
    with webapp_container(webapp_image, network, DB_STARTUP_DEADLINE="2", **DB_ENV) as webapp:
        # Its first answer: the database is up, so readiness says at once whether the schema is.
        ready = wait_until(
            lambda: requests.get(url(webapp, WEBAPP_PORT, "/readyz"), timeout=5), timeout=30, what="readiness to answer"
        )
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
        listing = requests.get(url(webapp, WEBAPP_PORT, "/visits.json"), timeout=10)
        with owner.connect() as connection:
            tables = connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()

        assert ready.status_code == 503
        assert ready.json()["reason"].startswith(f"database not ready: the schema is not at {head()}")
        assert (page.status_code, listing.status_code) == (503, 503)
        assert "Database not ready." in page.text
        assert listing.json() == {"error": "database not ready"}
        assert tables == 0

        migrate.upgrade(owner, DB_USER)

        wait_for_http(url(webapp, WEBAPP_PORT, "/readyz"), timeout=10)
        assert requests.get(url(webapp, WEBAPP_PORT), timeout=10).status_code == 200
        assert_never_restarted(webapp)


def _migrator(image: DockerImage, network: Network) -> DockerContainer:
    """`python -m app.migrate` in the webapp's image, as the migrate service runs it."""
    return (
        LoggedContainer(str(image))
        .with_network(network)
        .with_envs(**DB_ENV, WEBAPP_DB_USER=DB_USER)
        .with_command(["python", "-m", "app.migrate"])
    )


def _waiting_on_the_migrations_lock(owner: Engine) -> int:
    with owner.connect() as connection:
        waiting: int = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'migrate' AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            )
        ).scalar_one()
    return waiting


def _both_wait(owner: Engine, *runs: DockerContainer) -> bool:
    """Both runs wait on the held lock; a run that ended instead did not wait (no need to wait on)."""
    for run in runs:
        container = run.get_wrapped_container()
        container.reload()
        assert container.status != "exited", f"a migrate run ended while the lock was held:\n{logs(run)[-2000:]}"
    return _waiting_on_the_migrations_lock(owner) == 2


def test_two_migrations_started_at_once_take_turns_and_apply_each_step_once(
    webapp_image: DockerImage, network: Network, owner: Engine
) -> None:
    """Two migrate runs at once (two `docker compose up`, a job retried): while a run holds the
    migrations' lock (here the scenario holds it, as a first run would), both wait for it; then
    they take turns: one applies the migrations, the other finds the schema at head and applies
    nothing. Both exit 0."""
    with owner.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrate.LOCK_KEY})
        first, second = _migrator(webapp_image, network).start(), _migrator(webapp_image, network).start()
        try:
            wait_until(lambda: _both_wait(owner, first, second), timeout=30, what="both runs to wait")
            holder.execute(text("SELECT pg_advisory_unlock_all()"))
            codes = [run.get_wrapped_container().wait(timeout=60)["StatusCode"] for run in (first, second)]
            said = [logs(run) for run in (first, second)]
        finally:
            first.stop()
            second.stop()

    assert codes == [0, 0]
    assert sorted(MIGRATED in log for log in said) == [False, True]
    assert sum(f"the schema is at {head()} already" in log for log in said) == 1
    with owner.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]


def test_the_count_is_kept_whatever_the_search_path_and_survives_an_emptied_count_table(
    webapp_image: DockerImage, network: Network, owner: Engine
) -> None:
    """The counting trigger runs with its owner's rights, whoever changes the visits (migration
    0002), so its search path is pinned: a session whose path starts with another schema
    holding a `visit_counts` of its own (planted there by anyone who can create one) still
    updates the real count. And the count's shards are fixed, not counted: a count table
    emptied by hand costs the page no error (no division by zero)."""
    migrate.upgrade(owner, DB_USER)
    with owner.begin() as connection:
        connection.execute(text("CREATE SCHEMA elsewhere"))
        connection.execute(text("CREATE TABLE elsewhere.visit_counts (shard smallint, visits bigint)"))
        connection.execute(text("INSERT INTO elsewhere.visit_counts SELECT s, 0 FROM generate_series(0, 15) s"))
        connection.execute(text("SET LOCAL search_path = elsewhere, public"))
        connection.execute(text("INSERT INTO public.visits DEFAULT VALUES"))
    with owner.connect() as connection:
        counted = connection.execute(text("SELECT sum(visits) FROM public.visit_counts")).scalar_one()
        planted = connection.execute(text("SELECT sum(visits) FROM elsewhere.visit_counts")).scalar_one()
    assert (counted, planted) == (1, 0)

    with owner.begin() as connection:
        connection.execute(text("DELETE FROM visit_counts"))
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)
    assert page.status_code == 200


@pytest.mark.security
def test_each_migrate_run_leaves_the_webapps_role_a_plain_role_in_no_other_role(
    owner: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A webapp role given more than a page needs (by hand, or by a session that once had a
    superuser's rights): superuser, CREATEROLE, CREATEDB, BYPASSRLS and REPLICATION, and
    membership in the roles that run programs on the server and read its files. The next
    migrate run takes each of them away and says so in its log; the role still logs in."""
    with owner.begin() as connection:
        connection.execute(text("CREATE ROLE page LOGIN SUPERUSER CREATEROLE CREATEDB BYPASSRLS REPLICATION"))
        connection.execute(text("GRANT pg_execute_server_program, pg_read_server_files TO page"))
    with caplog.at_level(logging.WARNING, logger="app.privileges"):
        migrate.upgrade(owner, "page")
    with owner.connect() as connection:
        attributes = connection.execute(
            text(
                "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication"
                " FROM pg_roles WHERE rolname = 'page'"
            )
        ).one()
        memberships = (
            connection.execute(
                text("SELECT CAST(CAST(roleid AS regrole) AS text) FROM pg_auth_members WHERE member = 'page'::regrole")
            )
            .scalars()
            .all()
        )

    assert tuple(attributes) == (True, False, False, False, False, False)
    assert memberships == []
    assert "the webapp's role page had more than a page needs" in caplog.text


# A webapp's role, before the migrations, that made its own table and planted on it a trigger
# whose function, were it ever the owner's, would run with the owner's rights: it makes the
# role a superuser.
PLANTED_BY_AN_OLD_WEBAPP = """
CREATE TABLE visits (id serial PRIMARY KEY, visited_at timestamptz NOT NULL DEFAULT now());
INSERT INTO visits DEFAULT VALUES;
CREATE FUNCTION planted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  BEGIN
    EXECUTE 'ALTER ROLE page SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN NULL;
END $$;
CREATE TRIGGER planted AFTER INSERT ON visits FOR EACH STATEMENT EXECUTE FUNCTION planted();
CREATE RULE planted AS ON DELETE TO visits DO INSTEAD NOTHING;
"""


@pytest.mark.security
def test_a_database_adopted_from_before_the_migrations_keeps_its_visits_and_nothing_the_old_webapp_planted(
    owner: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A webapp's role that made its own table before the migrations may have planted on it a
    trigger, a rule and a function of its own. The migrate run that adopts the database keeps
    the table and its visits, now the owner's, and drops the trigger and the rule (saying so in
    its log) and the function the old role owned, so none ever runs with the owner's rights: a
    visit inserted afterwards, as the webapp's role, leaves it a plain role, and a delete by the
    owner deletes."""
    with owner.begin() as connection:
        connection.execute(text("CREATE ROLE page LOGIN"))
        connection.execute(text("GRANT CREATE ON SCHEMA public TO page"))
        connection.execute(text("SET LOCAL ROLE page"))
        connection.execute(text(PLANTED_BY_AN_OLD_WEBAPP))
    with caplog.at_level(logging.WARNING, logger="app.privileges"):
        migrate.upgrade(owner, "page")
    with owner.begin() as connection:
        connection.execute(text("SET LOCAL ROLE page"))
        connection.execute(text("INSERT INTO visits DEFAULT VALUES"))
    with owner.connect() as connection:
        triggers = connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'visits'::regclass AND NOT tgisinternal ORDER BY 1")
        ).scalars()
        left = {
            "visits": connection.execute(text("SELECT count(*) FROM visits")).scalar_one(),
            "triggers": list(triggers),
            "rules": connection.execute(text("SELECT count(*) FROM pg_rules WHERE tablename = 'visits'")).scalar_one(),
            "function": connection.execute(text("SELECT to_regprocedure('planted()') IS NULL")).scalar_one(),
            "superuser": connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = 'page'")).scalar_one(),
        }
    with owner.begin() as connection:
        deleted = connection.execute(text("DELETE FROM visits")).rowcount

    assert left == {
        "visits": 2,
        "triggers": ["visits_counted_delete", "visits_counted_insert", "visits_counted_truncate"],
        "rules": 0,
        "function": True,
        "superuser": False,
    }
    assert deleted == 2
    dropped = "dropped what the migrations did not make on the schema's tables"
    assert f"{dropped}: rule planted on visits, trigger planted on visits" in caplog.text


def test_visit_ids_go_past_the_range_of_integer(
    webapp_image: DockerImage, network: Network, postgres: PostgresContainer
) -> None:
    """A busy counter outgrows integer (2,147,483,647): migration 0004 made the ids bigint, the
    column and its sequence, so the visit after that number is recorded and shown."""
    engine = sqlalchemy.create_engine(postgres.get_connection_url())
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('visits_id_seq', 2147483647)"))
    finally:
        engine.dispose()
    with webapp_container(webapp_image, network, **DB_ENV) as webapp:
        page = requests.get(url(webapp, WEBAPP_PORT), timeout=10)

    assert page.status_code == 200
    assert '<tr data-visit-id="2147483648">' in page.text


@pytest.fixture
def stack(images: Images) -> Iterator[ProjectCompose]:
    """The Compose stack: db, the one-shot migrate, api, webapp."""
    with ProjectCompose(build=True, wait=True) as compose:
        yield compose


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value[:26].rstrip("Z"))


@pytest.mark.security
def test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs(
    stack: ProjectCompose,
) -> None:
    """`docker compose up`: the migrate service runs as the database's owner and exits 0
    before the webapp starts (`condition: service_completed_successfully`). The webapp's role
    then owns nothing, and may insert a visit (its id and time the database's) and read visits,
    but not set an id or a time, change, delete or empty visits, write the count (its trigger
    does, with its owner's rights), drop or alter the table, rename or drop the counting
    function, create a table (also a temporary one) or a schema, take an advisory lock (so not
    the one the migrations take turns on), make a large object, or connect to the cluster's
    `postgres` database. Another `up` runs migrate again, which finds nothing to do."""
    migrated, webapp = stack.container("migrate"), stack.container("webapp")
    page = requests.get(stack.url("webapp", 5000), timeout=10)

    assert migrated.attrs["State"]["ExitCode"] == 0
    assert _moment(migrated.attrs["State"]["FinishedAt"]) <= _moment(webapp.attrs["State"]["StartedAt"])
    assert MIGRATED in stack.compose("logs", "migrate")
    assert page.status_code == 200

    database = stack.container("db")
    assert psql_as_superuser(database, SCHEMA_OWNERS) == "postgres postgres"

    def as_webapp(query: str, database_name: str = "visits") -> tuple[int, str]:
        script = 'PGPASSWORD="$(cat /run/secrets/webapp_db_password)" psql -h 127.0.0.1 -U webapp -d "$1" -Atc "$0"'
        return exec_in(database, "sh", "-c", script, query, database_name)

    assert as_webapp("INSERT INTO visits DEFAULT VALUES RETURNING 1")[1].startswith("1")
    refused = {
        query: as_webapp(query)
        for query in (
            "INSERT INTO visits (id, visited_at) VALUES (1000000, now())",
            "UPDATE visits SET visited_at = now()",
            "DELETE FROM visits",
            "TRUNCATE visits",
            "UPDATE visit_counts SET visits = 0",
            "DROP TABLE visits",
            "ALTER TABLE visits ADD COLUMN note text",
            "ALTER FUNCTION visits_counted() RENAME TO planted",
            "DROP FUNCTION visits_counted() CASCADE",
            "CREATE TABLE planted (n int)",
            "CREATE TEMPORARY TABLE planted (n int)",
            "CREATE SCHEMA planted",
            "SELECT pg_advisory_lock(1)",
            "SELECT pg_try_advisory_xact_lock(1)",
            "SELECT lo_create(0)",
        )
    }
    assert {query: code for query, (code, _) in refused.items()} == dict.fromkeys(refused, 1), refused
    code, said = as_webapp("SELECT 1", "postgres")
    assert code != 0
    assert 'permission denied for database "postgres"' in said

    stack.compose("up", "--wait", "--no-build")
    assert "already: nothing to migrate" in stack.compose("logs", "migrate")


def test_a_database_made_by_the_release_before_migrations_is_adopted_with_every_visit(
    images: Images, tmp_path: Path
) -> None:
    """An upgrade as a user makes it, `git pull` and `docker compose up` on the same volume: the
    release before the migrations (its webapp made and owned its own schema) records visits;
    the current release's migrate service recognises its tables, keeps every row and the exact
    total, takes the schema over (its tables and sequences are then owned by the database's
    owner, not the webapp's role), and the next visit gets the next id."""
    old = tmp_path / "release"
    shutil.copytree(RELEASE_FILES, old)
    shutil.copytree(ROOT / "secrets", old / "secrets", dirs_exist_ok=True)
    files = ["docker-compose.yml", "compose.volume.yml"]
    release_images = {
        "WEBAPP_IMAGE": f"{WEBAPP_REPOSITORY}:release-{RELEASE_BEFORE_MIGRATIONS}",
        "API_IMAGE": f"{API_REPOSITORY}:release-{RELEASE_BEFORE_MIGRATIONS}",
    }
    before = ProjectCompose(context=old, compose_file_name=files, build=True, wait=True, environment=release_images)
    after = ProjectCompose(project_name=before.project_name, compose_file_name=files, build=True, wait=True)
    try:
        before.start()
        for _ in range(3):
            assert requests.get(before.url("webapp", 5000), timeout=10).status_code == 200
        rows_before = psql_as_superuser(before.container("db"), "SELECT id, visited_at FROM visits ORDER BY id")
        before.down(volumes=False)

        after.start()
        database = after.container("db")
        rows_after = psql_as_superuser(database, "SELECT id, visited_at FROM visits ORDER BY id")
        total = visits_total(after.url("webapp", 5000))
        page = requests.get(after.url("webapp", 5000), timeout=10)
        owners = psql_as_superuser(database, SCHEMA_OWNERS)
    finally:
        after.stop()
        before.stop()

    assert len(rows_before.splitlines()) == 3
    assert rows_after == rows_before
    assert total == 3
    assert '<tr data-visit-id="4">' in page.text
    assert owners == "postgres postgres"
