"""The id of the request that made a visit, where a proxy gives one (X-Request-Id).

A request the proxy sends again, after a replica died before answering, is then counted once:
a partial unique index, over the rows that have an id only, so a visit without one costs it
nothing. A database made before the migrations may have both already.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE visits ADD COLUMN IF NOT EXISTS request_id uuid")
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS visits_request_id ON visits (request_id) WHERE request_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("visits_request_id", table_name="visits")
    op.drop_column("visits", "request_id")
