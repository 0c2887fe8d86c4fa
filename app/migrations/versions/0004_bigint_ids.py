"""Visit ids as bigint: a busy counter outgrows integer's 2,147,483,647.

The column and the sequence that numbers it, both (a bigint column fed by an integer sequence
would still stop at the same number). Rewrites the table under a lock: on a large table, a
moment of no visits. The page's prepared statement notices the new type and is prepared anew.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER SEQUENCE visits_id_seq AS bigint")
    op.execute("ALTER TABLE visits ALTER COLUMN id TYPE bigint")


def downgrade() -> None:
    # Refused by PostgreSQL, and so by this downgrade, once an id is beyond integer's range.
    op.execute("ALTER TABLE visits ALTER COLUMN id TYPE integer")
    op.execute("ALTER SEQUENCE visits_id_seq AS integer")
