"""`python -m app.migrate`: the migrate service's command, run as the schema's owner.

    python -m app.migrate             bring the schema to this release's head, then narrow the
                                      webapp's role to what a page needs (the default)
    python -m app.migrate downgrade REVISION
                                      undo migrations down to REVISION ("base": all of them)
    python -m app.migrate check       fail if the tables in app/visits.py and the migrations differ
    python -m app.migrate current     print the revision the database is at

It waits for the database (the same bounded retry as the webapp). Runs started at once (two
`docker compose up`, a job retried) take turns on one advisory lock, each in one transaction: the
second finds the schema at head and applies nothing; a run that fails applies nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from app import schema
from app.config import ConfigError, MigrationSettings, load_migration_settings
from app.privileges import disarm_the_schema, restrict_webapp
from app.startup import describe_error, wait_for_database

log = logging.getLogger("app.migrate")

# Any fixed number: runs of the migrations against one database take turns on it.
LOCK_KEY = 5_000_001


def create_owner_engine(settings: MigrationSettings) -> Engine:
    return create_engine(
        settings.database_url,
        connect_args={"connect_timeout": settings.db_connect_timeout, "application_name": "migrate"},
    )


def _locked(engine: Engine, work: Callable[[Connection], None]) -> None:
    """`work` in one transaction, holding the migrations' lock (waiting for it if another run has it)."""
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        work(connection)


def _alembic(connection: Connection) -> Config:
    config = schema.alembic_config()
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, webapp_role: str, revision: str = "head") -> None:
    def work(connection: Connection) -> None:
        before = schema.current(connection)
        disarm_the_schema(connection)
        command.upgrade(_alembic(connection), revision)
        after = schema.current(connection)
        restrict_webapp(connection, webapp_role)
        if before == after:
            log.info("the schema is at %s already: nothing to migrate", after)
        else:
            log.info("the schema went from %s to %s", before or "nothing", after)

    _locked(engine, work)


def downgrade(engine: Engine, revision: str) -> None:
    def work(connection: Connection) -> None:
        before = schema.current(connection)
        command.downgrade(_alembic(connection), revision)
        log.info("the schema went from %s down to %s", before, schema.current(connection) or "nothing")

    _locked(engine, work)


def check(engine: Engine) -> None:
    _locked(engine, lambda connection: command.check(_alembic(connection)))


def current(engine: Engine) -> None:
    with engine.connect() as connection:
        print(schema.current(connection) or "none")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", default="upgrade", choices=["upgrade", "downgrade", "check", "current"])
    parser.add_argument("revision", nargs="?", help="where to go (upgrade: head by default; downgrade: required)")
    options = parser.parse_args(argv)
    if options.action == "downgrade" and not options.revision:
        parser.error("downgrade needs a REVISION (e.g. base)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = load_migration_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr, flush=True)
        return 2
    engine = create_owner_engine(settings)
    if not wait_for_database(lambda: engine.connect().close(), settings):
        return 1
    actions: dict[str, Callable[[], None]] = {
        "upgrade": lambda: upgrade(engine, settings.webapp_role, options.revision or "head"),
        "downgrade": lambda: downgrade(engine, options.revision),
        "check": lambda: check(engine),
        "current": lambda: current(engine),
    }
    try:
        actions[options.action]()
    except (SQLAlchemyError, schema.MigrationError, CommandError) as error:
        log.error("%s failed, nothing applied: %s", options.action, describe_error(error))
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
