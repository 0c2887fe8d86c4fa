"""The visits table and the queries on it, through one pooled SQLAlchemy engine.

The tables are described here for the queries (and for `alembic check`); the migrations make them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    MetaData,
    Row,
    SmallInteger,
    Table,
    Uuid,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.schema import check_at_head

metadata = MetaData()
visits = Table(
    "visits",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("visited_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The id of the request that made the visit, where a proxy gives one (X-Request-Id): a
    # request the proxy sends again, after a replica died before answering, is counted once.
    Column("request_id", Uuid, nullable=True),
    # Only rows that have one: a visit without a request id costs the index nothing.
    Index("visits_request_id", "request_id", unique=True, postgresql_where=text("request_id IS NOT NULL")),
)

# How many visits there are, kept by triggers in the same transaction as each change, so the
# page's total is exact and costs the same at a million rows as at none (count(*) reads the whole
# table); spread over shards. Made, like the table, by the migrations (app/migrations/).
visit_counts = Table(
    "visit_counts",
    metadata,
    Column("shard", SmallInteger, primary_key=True, autoincrement=False),
    Column("visits", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Visit:
    id: int
    visited_at: datetime


@dataclass(frozen=True)
class VisitPage:
    """The newest visits (newest first) and how many there are in all."""

    total: int
    latest: list[Visit]


def create_db_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.database_url,
        # Each statement commits on its own (PostgreSQL's autocommit): the page's one statement is
        # one round trip instead of three (BEGIN, the statement, COMMIT), and its commit, WAL flush
        # included, is still done before its answer arrives.
        isolation_level="AUTOCOMMIT",
        # A pooled connection that died with a database restart is replaced,
        # instead of failing the request that draws it.
        pool_pre_ping=True,
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=settings.db_connect_timeout,
        # libpq waits forever by default when a host does not answer.
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "application_name": "webapp",
            # A stuck query, or one waiting on a lock held elsewhere, ends in an error instead of
            # holding a request thread forever (no server stops a thread that is stuck).
            "options": f"-c statement_timeout={_ms(settings.db_statement_timeout)}",
        },
    )


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class VisitStore:
    """Records visits and lists them, once the database's schema is at this release's head."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._schema_ready = threading.Event()

    def check_schema(self) -> None:
        """Return once the schema is at head (remembered); raise SchemaNotReadyError until the
        migrations ran, or a database error while the database is down. Creates nothing."""
        if self._schema_ready.is_set():
            return
        with self.engine.connect() as connection:
            check_at_head(connection)
        self._schema_ready.set()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def record_visit(self, page_size: int, request_id: str | None = None) -> VisitPage:
        """Record a visit and list the newest with it: one statement, committed (the engine's
        autocommit) before the page is answered. A visit with the `request_id` of one already
        recorded is not recorded again (the page lists the visits as they are)."""
        self.check_schema()
        with self.engine.connect() as connection:
            rows = _record_and_list(connection, max(page_size - 1, 0), request_id)
            if not rows:  # an id seen before on a page of one: nothing added, no older row asked for
                return _page(connection, page_size)
        # The statement's own visit is the first row, and the total counts it.
        return VisitPage(total=int(rows[0].total), latest=[Visit(id=r.id, visited_at=r.visited_at) for r in rows])

    def latest(self, limit: int) -> VisitPage:
        self.check_schema()
        with self.engine.connect() as connection:
            return _page(connection, limit)


# The newest visits and the total, in one query (one round trip to the database).
_TOTAL = select(func.coalesce(func.sum(visit_counts.c.visits), 0)).scalar_subquery()


# The new visit, the older ones newest first, and the total. Within one statement the
# insert is invisible to the other reads, and the counting trigger runs at its end: so the
# older rows are read as they were, and the total is the count read plus this visit.
# Prepared once per connection and page size (the first time it is used there, once the table
# exists), with the size written in: a statement without parameters is planned once, where
# PostgreSQL would plan `LIMIT $1` anew for each page, which costs about as much as running it.
_RECORD_AND_LIST = """
    PREPARE {name} AS
    WITH added AS ({insert} RETURNING id, visited_at),
         counted AS (SELECT coalesce(sum(visits), 0) + (SELECT count(*) FROM added) AS total FROM visit_counts)
    SELECT page.id, page.visited_at, counted.total
      FROM ((SELECT id, visited_at FROM added)
            UNION ALL
            (SELECT id, visited_at FROM visits ORDER BY id DESC LIMIT {older})) page, counted
     ORDER BY page.id DESC
    """
_INSERT = "INSERT INTO visits DEFAULT VALUES"
# A request id seen before inserts nothing: the first request's visit stands for both.
_INSERT_ONCE = (
    "INSERT INTO visits (request_id) VALUES ($1) ON CONFLICT (request_id) WHERE request_id IS NOT NULL DO NOTHING"
)
# What PostgreSQL answers when a prepared statement is gone (DISCARD ALL, a pooler between) or
# was planned for a table whose columns have since changed: nothing ran, so preparing it anew
# and running it once more records the visit once.
_STALE_PREPARED_STATEMENT = {"26000", "0A000"}
# The key, in a pooled connection's info, of the names of the statements prepared on it.
_PREPARED = "prepared_statements"


def _record_and_list(connection: Connection, older: int, request_id: str | None) -> Sequence[Row[Any]]:
    older = int(older)  # written into the statement: a number and nothing else
    name = f"record_and_list_{older}" if request_id is None else f"record_once_and_list_{older}"
    try:
        return _execute_prepared(connection, name, older, request_id)
    except DBAPIError as error:
        if getattr(error.orig, "pgcode", None) not in _STALE_PREPARED_STATEMENT:
            raise
    connection.rollback()
    # What is left of it goes (nothing else is prepared on these connections), and it is made anew;
    # so are the others (the page's other statement, other page sizes) when next used.
    connection.exec_driver_sql("DEALLOCATE ALL")
    connection.info.pop(_PREPARED, None)
    return _execute_prepared(connection, name, older, request_id)


def _execute_prepared(connection: Connection, name: str, older: int, request_id: str | None) -> Sequence[Row[Any]]:
    # The pooled connection's own info, gone with the connection, says what it has prepared.
    prepared: set[str] = connection.info.setdefault(_PREPARED, set())
    if name not in prepared:
        if request_id is None:
            connection.exec_driver_sql(_RECORD_AND_LIST.format(name=name, insert=_INSERT, older=older))
        else:
            statement = _RECORD_AND_LIST.format(name=f"{name} (uuid)", insert=_INSERT_ONCE, older=older)
            connection.exec_driver_sql(statement)
        prepared.add(name)
    if request_id is None:
        return connection.exec_driver_sql(f"EXECUTE {name}").all()
    return connection.exec_driver_sql(f"EXECUTE {name} (%(request_id)s)", {"request_id": request_id}).all()


def _page(connection: Connection, limit: int) -> VisitPage:
    rows = connection.execute(
        select(visits.c.id, visits.c.visited_at, _TOTAL.label("total")).order_by(visits.c.id.desc()).limit(limit)
    ).all()
    # No rows: the table is empty, and so its count is 0 (the triggers keep them together).
    total = int(rows[0].total) if rows else 0
    return VisitPage(total=total, latest=[Visit(id=r.id, visited_at=r.visited_at) for r in rows])
