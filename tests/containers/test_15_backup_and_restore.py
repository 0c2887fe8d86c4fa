"""Chapter 15. Backup and restore: `make backup` writes a dump of the running stack's database
to a file, `make restore FILE=...` loads one's visits into a stack's database. The visits then
outlive even the volume, exactly; a restore never replaces visits unasked; a dump is read as
data (whatever else it holds runs in a throwaway server only); a dump that is not whole, or a
backup that fails, changes nothing and leaves no file that looks like a backup."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import docker
import pytest
import requests
from testcontainers.core.labels import SESSION_ID

from app.schema import head
from tests.support.compose import DEFAULT_ENVIRONMENT, ProjectCompose
from tests.support.containers import exec_in, psql_as_superuser, visits_total
from tests.support.environment import ROOT
from tests.support.marks import SESSION_LABEL
from tests.support.waiting import wait_for_http

BACKUP = str(ROOT / "scripts" / "backup.sh")
RESTORE = str(ROOT / "scripts" / "restore.sh")
# Every visit as the database has it: id and time, to the microsecond.
ROWS = "SELECT id, visited_at FROM visits ORDER BY id"


def _visit(stack: ProjectCompose) -> None:
    assert requests.get(stack.url("webapp", 5000), timeout=10).status_code == 200


def _rows(stack: ProjectCompose) -> list[str]:
    return psql_as_superuser(stack.container("db"), ROWS).splitlines()


def _run(stack: ProjectCompose, backups: Path, *command: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """One of the project's commands (make, scripts/) aimed at `stack` through COMPOSE_PROJECT_NAME
    and COMPOSE_FILE, as a user aims them at a stack of their own, with dumps going to `backups`."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env={
            **os.environ,
            **DEFAULT_ENVIRONMENT,
            **stack.environment,
            "COMPOSE_PROJECT_NAME": stack.project_name,
            "COMPOSE_FILE": ":".join(stack.compose_file_name or ["docker-compose.yml"]),
            "BACKUP_DIR": str(backups),
            # A throwaway server a restore left (killed, or a mistake) is removed with the session's.
            "RESTORE_LABELS": f"{SESSION_LABEL}={SESSION_ID}",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _backup(stack: ProjectCompose, backups: Path, *command: str) -> Path:
    """A backup that succeeded: the file it printed, the only one in `backups`."""
    result = _run(stack, backups, *(command or (BACKUP,)))
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.splitlines()[-1])
    assert list(backups.iterdir()) == [dump]
    return dump


@pytest.mark.usefixtures("webapp_image", "api_image")
def test_visits_survive_down_volumes_through_a_backup_and_a_restore_into_a_fresh_stack(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    """`make backup` writes the dump to <UTC time>.dump; after `docker compose down --volumes`
    (the named volume gone) a fresh stack starts with no visits, and `make restore FILE=...`
    brings every one back: the same ids, the same times to the microsecond, the same total; the
    next page's visit gets the next id."""
    backups = tmp_path / "backups"
    with ProjectCompose(compose_file_name=["docker-compose.yml", "compose.volume.yml"]) as stack:
        for _ in range(3):
            _visit(stack)
        visits = _rows(stack)
        dump = _backup(stack, backups, "make", "-s", "backup")
        assert re.fullmatch(r"\d{8}T\d{6}Z\.dump", dump.name)

        stack.down(volumes=True)
        assert docker_client.volumes.list(filters={"name": f"{stack.project_name}_db-data"}) == []
        stack.start()
        assert visits_total(stack.url("webapp", 5000)) == 0

        restored = _run(stack, backups, "make", "-s", "restore", f"FILE={dump}")
        assert restored.returncode == 0, restored.stderr
        assert _rows(stack) == visits
        assert visits_total(stack.url("webapp", 5000)) == 3

        _visit(stack)
        assert [row.split("|")[0] for row in _rows(stack)] == ["1", "2", "3", "4"]
        assert visits_total(stack.url("webapp", 5000)) == 4


@pytest.mark.usefixtures("webapp_image", "api_image")
def test_a_restore_refuses_a_database_that_has_visits_and_with_force_replaces_them(tmp_path: Path) -> None:
    """A restore into a database with any visit is refused (exit code not 0, the message says
    FORCE=1 would replace them) and changes nothing; with FORCE=1 the dump's visits replace the
    database's, the webapp's role keeps its rights, and a webapp that was stopped stays so."""
    backups = tmp_path / "backups"
    with ProjectCompose() as stack:
        _visit(stack)
        _visit(stack)
        dumped = _rows(stack)
        dump = _backup(stack, backups)
        _visit(stack)
        visits = _rows(stack)

        refused = _run(stack, backups, RESTORE, str(dump))
        assert refused.returncode != 0
        assert "has visits" in refused.stderr
        assert "FORCE=1" in refused.stderr
        assert _rows(stack) == visits
        # Held off during the refused restore, the webapp serves again.
        wait_for_http(stack.url("webapp", 5000, "/healthz"), timeout=30)

        # With the webapp stopped (it stays so): only the rows change, so the webapp's role
        # keeps its rights on the tables.
        stack.compose("stop", "webapp")
        forced = _run(stack, backups, RESTORE, str(dump), FORCE="1")
        assert forced.returncode == 0, forced.stderr
        assert _rows(stack) == dumped
        granted = "SELECT has_table_privilege('webapp', 'visits', 'SELECT')"
        assert psql_as_superuser(stack.container("db"), granted) == "t"
        assert stack.container("webapp").attrs["State"]["Running"] is False
        stack.compose("start", "webapp")
        assert visits_total(stack.url("webapp", 5000)) == 2
        # The webapp, held off during the restore, serves again: the next visit gets the next id.
        page = requests.get(stack.url("webapp", 5000), timeout=10)
        assert page.status_code == 200
        assert '<tr data-visit-id="3">' in page.text


def _dump(stack: ProjectCompose, *pg_dump_options: str) -> bytes:
    """A dump of the stack's database made by hand (pg_dump's custom format, with these options)."""
    script = (
        'PGPASSWORD="$(cat /run/secrets/db_password)" '
        'exec pg_dump -Fc "$@" -h 127.0.0.1 -U "$POSTGRES_USER" "$POSTGRES_DB"'
    )
    code, (out, err) = stack.container("db").exec_run(["sh", "-c", script, "dump", *pg_dump_options], demux=True)
    assert code == 0, err
    assert isinstance(out, bytes)
    return out


def _sql(stack: ProjectCompose, statements: str) -> None:
    psql_as_superuser(stack.container("db"), statements)


# Two visits with one request id, which the stack's unique index would refuse: a dump of a
# database whose index was dropped by hand.
TWICE_ONE_REQUEST_ID = (
    "DROP INDEX visits_request_id;"
    " INSERT INTO visits (request_id) VALUES ('5f0c9a4e-0000-4000-8000-000000000001'),"
    " ('5f0c9a4e-0000-4000-8000-000000000001')"
)
AS_THE_MIGRATIONS_LEFT_IT = (
    "DELETE FROM visits WHERE request_id IS NOT NULL;"
    " CREATE UNIQUE INDEX visits_request_id ON visits (request_id) WHERE request_id IS NOT NULL"
)


@pytest.mark.usefixtures("webapp_image", "api_image")
def test_a_restore_refuses_a_dump_cut_short_and_a_file_that_is_no_dump_and_changes_nothing(tmp_path: Path) -> None:
    """Even with FORCE=1, each of these is refused with a message saying why, and the database
    keeps its visits and its total: a text file (not a pg_dump archive); the first half of a real
    dump (pg_restore cannot read it through); a dump without its last bytes (it does not load
    whole); a dump without the schema's version (alembic_version); a dump at a version this
    release's migrations do not know (a newer release's); a dump whose rows the stack's table
    refuses (two visits with one request id: the visits are replaced in one transaction, rolled
    back)."""
    backups = tmp_path / "backups"
    with ProjectCompose() as stack:
        _visit(stack)
        dump = _backup(stack, backups).read_bytes()
        unversioned = _dump(stack, "-T", "alembic_version")
        _sql(stack, "UPDATE alembic_version SET version_num = '9999'")
        newer = _dump(stack)
        _sql(stack, f"UPDATE alembic_version SET version_num = '{head()}'")  # noqa: S608 (this release's head, no input)
        _sql(stack, TWICE_ONE_REQUEST_ID)
        refused_rows = _dump(stack)
        _sql(stack, AS_THE_MIGRATIONS_LEFT_IT)
        _visit(stack)
        visits = _rows(stack)
        bad_files = {
            "notes.txt": (b"these are my visits\n", "not a pg_dump custom archive"),
            "half.dump": (dump[: len(dump) // 2], "pg_restore cannot read it"),
            "cut.dump": (dump[:-10], "does not load whole"),
            "unversioned.dump": (unversioned, "no schema version"),
            "newer.dump": (newer, "do not know"),
            "refused-rows.dump": (refused_rows, "rolled back"),
        }

        for name, (content, why) in bad_files.items():
            bad = tmp_path / name
            bad.write_bytes(content)
            result = _run(stack, backups, RESTORE, str(bad), FORCE="1")
            assert result.returncode != 0, name
            assert why in result.stderr, result.stderr
            assert _rows(stack) == visits, name
        assert visits_total(stack.url("webapp", 5000)) == 2


# What a hostile dump may carry: a CHECK on a function, which runs for each row as the rows are
# loaded, as whoever loads the dump. This one makes the webapp's role a superuser (where there
# is one) and runs a program on the server.
PLANTED = """
CREATE FUNCTION planted(n bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE 'ALTER ROLE webapp SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch /tmp/planted-ran''';
  RETURN n;
END $$;
ALTER TABLE visits ADD CONSTRAINT planted CHECK (planted(id) IS NOT NULL);
"""
IS_SUPERUSER = "SELECT rolsuper FROM pg_roles WHERE rolname = 'webapp'"


def _program_ran(stack: ProjectCompose) -> bool:
    return exec_in(stack.container("db"), "test", "-e", "/tmp/planted-ran")[0] == 0


@pytest.mark.security
@pytest.mark.usefixtures("webapp_image", "api_image")
def test_a_hostile_dump_is_read_as_data_and_its_code_runs_in_a_throwaway_server_only(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    """A dump is SQL: this one's table has a CHECK on a function that makes the webapp's role a
    superuser and runs a program on the server (live: made in the stack, it did both there).
    Restored with FORCE=1, its visits come back and nothing else of it does: the webapp's role is
    no superuser, no program ran in the stack's database, the function is not there, and the
    throwaway server the dump was loaded into is gone."""
    backups = tmp_path / "backups"
    with ProjectCompose() as stack:
        _visit(stack)
        _visit(stack)
        _sql(stack, PLANTED)
        assert psql_as_superuser(stack.container("db"), IS_SUPERUSER) == "t"
        assert _program_ran(stack)
        dump = _backup(stack, backups)
        dumped = _rows(stack)
        _sql(
            stack,
            "ALTER TABLE visits DROP CONSTRAINT planted; DROP FUNCTION planted(bigint); ALTER ROLE webapp NOSUPERUSER",
        )
        exec_in(stack.container("db"), "rm", "/tmp/planted-ran")
        _visit(stack)

        restored = _run(stack, backups, RESTORE, str(dump), FORCE="1")
        assert restored.returncode == 0, restored.stderr
        assert _rows(stack) == dumped
        assert psql_as_superuser(stack.container("db"), IS_SUPERUSER) == "f"
        assert not _program_ran(stack)
        assert psql_as_superuser(stack.container("db"), "SELECT to_regprocedure('planted(bigint)') IS NULL") == "t"
        sandboxes = docker_client.containers.list(
            all=True, filters={"label": f"org.example.restore-sandbox={stack.project_name}"}
        )
        assert sandboxes == []
        assert visits_total(stack.url("webapp", 5000)) == 2


def test_a_backup_that_fails_leaves_no_file(tmp_path: Path, docker_client: docker.DockerClient) -> None:
    """A backup whose pg_dump fails (the database cut off from its network) exits non-zero
    saying so, and leaves nothing: no dump under its final name, no .partial; with the database
    stopped, the backup is refused before it begins, and leaves nothing either."""
    backups = tmp_path / "backups"
    with ProjectCompose(services=["db"]) as stack:
        docker_client.networks.get(f"{stack.project_name}_backend").disconnect(stack.container("db"))
        failed = _run(stack, backups, BACKUP)
        assert list(backups.iterdir()) == []
        assert failed.returncode != 0
        assert "pg_dump failed" in failed.stderr

        stack.compose("stop", "db")
        refused = _run(stack, backups, BACKUP)
        assert refused.returncode != 0
        assert "not running" in refused.stderr
        assert list(backups.iterdir()) == []
