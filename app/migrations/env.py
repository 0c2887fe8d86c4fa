"""Alembic's environment: the migrations run on the connection `python -m app.migrate` gives,
inside its transaction, after it took the lock that serialises concurrent runs."""

from __future__ import annotations

from alembic import context

from app.visits import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the migrations with `python -m app.migrate`: it connects, waits and holds the lock")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
