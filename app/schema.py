"""The schema's version: which migration the database is at, and which this release needs.

The migrations (app/migrations/) are run by `python -m app.migrate`, as the schema's owner;
the webapp only reads where the database is, and serves pages once it is at this release's head.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaNotReadyError(Exception):
    """The database answers but is not at the migrations' head; the message says where it is."""


class MigrationError(Exception):
    """A migration cannot run as configured; the message says why and what to set."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head() -> str:
    """The revision this release's code is written for."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, "app/migrations/versions/ has no migration"
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database is at; None when no migration ran there (no alembic_version)."""
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_at_head(connection: Connection) -> None:
    """Raise SchemaNotReadyError unless the database is at this release's head."""
    at = current(connection)
    if at != head():
        where = "no migration has run" if at is None else f"it is at {at}"
        raise SchemaNotReadyError(f"the schema is not at {head()} ({where}): run the migrate service")
