"""The visits table and the queries on it, through one pooled SQLAlchemy engine."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    func,
    select,
    text,
)

from app.config import Settings

metadata = MetaData()
visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("visited_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Any fixed number: it serialises the schema creation of concurrent workers.
_SCHEMA_LOCK_KEY = 5_000_001


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
            # holding a request thread forever (gunicorn's timeout does not stop gthread's threads).
            "options": f"-c statement_timeout={_ms(settings.db_statement_timeout)}",
        },
    )


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class VisitStore:
    """Records visits and lists them; creates the table once, on first success."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._schema_ready = threading.Event()

    def ensure_schema(self) -> None:
        """Create the table unless an earlier call did; raises while the database is down."""
        if self._schema_ready.is_set():
            return
        with self.engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            metadata.create_all(connection)
        self._schema_ready.set()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def record_visit(self) -> Visit:
        self.ensure_schema()
        with self.engine.begin() as connection:
            row = connection.execute(visits.insert().returning(visits.c.id, visits.c.visited_at)).one()
        return Visit(id=row.id, visited_at=row.visited_at)

    def latest(self, limit: int) -> VisitPage:
        self.ensure_schema()
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(visits)).scalar_one()
            rows = connection.execute(
                select(visits.c.id, visits.c.visited_at).order_by(visits.c.id.desc()).limit(limit)
            ).all()
        return VisitPage(total=total, latest=[Visit(id=r.id, visited_at=r.visited_at) for r in rows])
