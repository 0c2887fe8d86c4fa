"""How many visits there are, kept by triggers in the same transaction as each change.

The page's total is then exact and costs the same at a million rows as at none (count(*) reads
the whole table). Spread over 16 shards (a visit's shard is its id modulo 16) so concurrent visits
rarely wait on one row. Statement-level triggers with transition tables: one UPDATE per
statement, also for a bulk insert or delete; TRUNCATE empties the count with the table.

The function runs with its owner's rights (SECURITY DEFINER), the schema's owner: the webapp,
whose inserts fire it, may read the count but not write it. Its search_path is pinned, so no
object planted earlier on a caller's path can stand in for `visit_counts`; the webapp cannot
replace it (it owns nothing, and may create nothing).

A database made before the migrations may have the count already, or not: either way it is
counted again here from the table, under a lock that holds off new visits meanwhile.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION visits_counted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE visit_counts SET visits = 0;
  ELSIF TG_OP = 'INSERT' THEN
    UPDATE visit_counts c SET visits = c.visits + d.n
      FROM (SELECT id % 16 AS shard, count(*) AS n FROM added GROUP BY 1) d
      WHERE c.shard = d.shard;
  ELSE
    UPDATE visit_counts c SET visits = c.visits - d.n
      FROM (SELECT id % 16 AS shard, count(*) AS n FROM removed GROUP BY 1) d
      WHERE c.shard = d.shard;
  END IF;
  RETURN NULL;
END $$
"""

_TRIGGERS = {
    "visits_counted_insert": "AFTER INSERT ON visits REFERENCING NEW TABLE AS added",
    "visits_counted_delete": "AFTER DELETE ON visits REFERENCING OLD TABLE AS removed",
    "visits_counted_truncate": "AFTER TRUNCATE ON visits",
}


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("visit_counts"):
        op.create_table(
            "visit_counts",
            sa.Column("shard", sa.SmallInteger, primary_key=True, autoincrement=False),
            sa.Column("visits", sa.BigInteger, nullable=False),
        )
    op.execute("LOCK TABLE visits IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_FUNCTION)
    for name, when in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON visits")
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION visits_counted()")
    op.execute("DELETE FROM visit_counts")
    op.execute(
        "INSERT INTO visit_counts (shard, visits) "
        "SELECT s, coalesce(counted.n, 0) FROM generate_series(0, 15) s "
        "LEFT JOIN (SELECT id % 16 AS shard, count(*) AS n FROM visits GROUP BY 1) counted "
        "ON counted.shard = s"
    )


def downgrade() -> None:
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON visits")
    op.execute("DROP FUNCTION visits_counted()")
    op.drop_table("visit_counts")
