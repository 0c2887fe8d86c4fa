"""What the webapp's role may do: what a page needs, and nothing more.

Run by `python -m app.migrate` as the schema's owner, after the migrations and in their
transaction, each time: idempotent, and any table a later migration adds is covered here too.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

from app.schema import MigrationError

log = logging.getLogger(__name__)

# A page inserts its visit (naming at most its request id: the id and the time are the
# database's) and reads the newest, and readiness reads the schema's version. The count is kept
# by a trigger that runs with its owner's rights: the webapp may read it, not write it. No UPDATE,
# DELETE or TRUNCATE, no right to create, alter or drop anything. By table (or column), for those
# there are (a database migrated to an earlier revision has fewer).
PAGE_NEEDS = {
    "visits": ("GRANT SELECT ON visits TO {role}",),
    "visits.request_id": ("GRANT INSERT (request_id) ON visits TO {role}",),
    "visits_id_seq": ("GRANT USAGE ON SEQUENCE visits_id_seq TO {role}",),
    "visit_counts": ("GRANT SELECT ON visit_counts TO {role}",),
    "alembic_version": ("GRANT SELECT ON alembic_version TO {role}",),
}
# The databases every cluster has: no application's, so no role of one connects there.
_OTHER_DATABASES = ("postgres", "template1")
# Functions every role may call through PUBLIC that a page never needs: the advisory locks (a
# role that held the migrations' lock forever would hang every later `up`) and those that make
# large objects (storage outside any table). Revoked from PUBLIC in this database; the
# migrations run as a superuser, which needs no grant.
_UNNEEDED_FUNCTIONS = text(
    "SELECT CAST(CAST(oid AS regprocedure) AS text) FROM pg_proc"
    " WHERE pronamespace = CAST('pg_catalog' AS regnamespace)"
    " AND (proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$'"
    " OR proname IN ('lo_creat', 'lo_create', 'lo_from_bytea'))"
    " ORDER BY 1"
)


# A role's attributes that a page never needs: each would let the webapp's role out of the
# rights below (a superuser ignores them; the others make roles, databases, bypass row security
# or read the whole cluster's changes). A plain role has none; one that has them (given by hand,
# or by a superuser's session once) is a plain role again after each migrate run.
_PLAIN_ROLE = ("SUPERUSER", "CREATEROLE", "CREATEDB", "BYPASSRLS", "REPLICATION")
_ROLE_ATTRIBUTES = text(
    "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = :role"
)
# The roles the webapp's role is a member of (each grant with its grantor, whom a REVOKE must
# name): none is what a page needs, and some read or write the server's files or run programs.
_MEMBERSHIPS = text(
    "SELECT granted.rolname, grantor.rolname FROM pg_auth_members m"
    " JOIN pg_roles granted ON granted.oid = m.roleid JOIN pg_roles grantor ON grantor.oid = m.grantor"
    " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = :role) ORDER BY 1, 2"
)


# The triggers the migrations make (0002, the count). Any other trigger, and any rule, on the
# schema's tables was planted (by the webapp's role, say, when it owned its table before the
# migrations) and would run with the rights of whoever changes the table: the migrations' owner,
# or the counting function.
_OUR_TRIGGERS = ("visits_counted_insert", "visits_counted_delete", "visits_counted_truncate")
_PLANTED = text(
    "SELECT 'TRIGGER', t.tgname, CAST(CAST(t.tgrelid AS regclass) AS text) FROM pg_trigger t"
    " JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE c.relnamespace = CAST('public' AS regnamespace) AND NOT t.tgisinternal AND t.tgname <> ALL(:ours)"
    " UNION ALL SELECT 'RULE', rulename, quote_ident(tablename) FROM pg_rules WHERE schemaname = 'public'"
    " ORDER BY 1, 3, 2"
)
# The functions the migrations' triggers call that the role owns: a database adopted from before
# the migrations may have had one of that name, whose owner CREATE OR REPLACE keeps.
_OWNED_TRIGGER_FUNCTIONS = text(
    "SELECT DISTINCT CAST(CAST(t.tgfoid AS regprocedure) AS text) FROM pg_trigger t"
    " JOIN pg_proc p ON p.oid = t.tgfoid"
    " WHERE t.tgname = ANY(:ours) AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = :role) ORDER BY 1"
)
# The database and the schemas the role owns (a database made by the webapp's role itself).
_OWNED_CONTAINERS = text(
    "SELECT 'DATABASE', quote_ident(datname) FROM pg_database"
    " WHERE datname = current_database() AND datdba = (SELECT oid FROM pg_roles WHERE rolname = :role)"
    " UNION ALL SELECT 'SCHEMA', quote_ident(nspname) FROM pg_namespace"
    " WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = :role) ORDER BY 1, 2"
)
# The schema's relations of a kind ('r' tables, 'S' sequences) that the role owns: the visits
# it made before the migrations. A table's own sequence goes with the table.
_OWNED = text(
    "SELECT CAST(CAST(oid AS regclass) AS text) FROM pg_class"
    " WHERE relnamespace = CAST('public' AS regnamespace) AND relkind = ANY(:kinds)"
    " AND relowner = (SELECT oid FROM pg_roles WHERE rolname = :role) ORDER BY 1"
)


def disarm_the_schema(connection: Connection) -> None:
    """Drop every trigger and rule on the schema's tables that the migrations did not make, before
    the migrations run (so none runs with the owner's rights), on each migrate run."""
    quote = connection.dialect.identifier_preparer.quote
    planted = connection.execute(_PLANTED, {"ours": list(_OUR_TRIGGERS)}).all()
    for kind, name, table in planted:
        connection.execute(text(f"DROP {kind} {quote(name)} ON {table}"))
    if planted:
        log.warning(
            "dropped what the migrations did not make on the schema's tables: %s",
            ", ".join(f"{kind.lower()} {name} on {table}" for kind, name, table in planted),
        )


def restrict_webapp(connection: Connection, role: str) -> None:
    """Own the database, schemas, tables, sequences and count function the role owns (a database
    adopted from before the migrations: the webapp made its table then) and drop whatever else it
    owns here (a function of its own would otherwise become the owner's, and run with the owner's
    rights), make it a plain role in no other role, then leave it exactly PAGE_NEEDS in this
    database, and no way into the cluster's other standard databases."""
    owner = connection.execute(text("SELECT current_user")).scalar_one()
    if role == owner:
        log.warning("the webapp's role %s is the schema's owner: its rights cannot be narrowed", role)
        return
    if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first() is None:
        raise MigrationError(f"WEBAPP_DB_USER={role!r}: no such role in the database (db/initdb.d/ makes it)")
    quote = connection.dialect.identifier_preparer.quote
    database = quote(connection.execute(text("SELECT current_database()")).scalar_one())
    role_name = quote(role)
    for kind, name in connection.execute(_OWNED_CONTAINERS, {"role": role}).all():
        connection.execute(text(f"ALTER {kind} {name} OWNER TO CURRENT_USER"))
    for kind, kinds in (("TABLE", ["r", "p"]), ("SEQUENCE", ["S"])):
        for relation in connection.execute(_OWNED, {"role": role, "kinds": kinds}).scalars().all():
            connection.execute(text(f"ALTER {kind} {relation} OWNER TO CURRENT_USER"))
    ours = {"ours": list(_OUR_TRIGGERS), "role": role}
    for function in connection.execute(_OWNED_TRIGGER_FUNCTIONS, ours).scalars().all():
        connection.execute(text(f"ALTER FUNCTION {function} OWNER TO CURRENT_USER"))
    statements = [
        f"DROP OWNED BY {role_name}",
        *_plain_role(connection, role, role_name),
        # CONNECT, TEMPORARY and CREATE, which every role has through PUBLIC, go; CONNECT to the webapp only.
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC, {role_name}",
        f"GRANT CONNECT ON DATABASE {database} TO {role_name}",
        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role_name}",
        f"GRANT USAGE ON SCHEMA public TO {role_name}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role_name}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role_name}",
    ]
    grants = [grant for relation, needs in PAGE_NEEDS.items() if _exists(connection, relation) for grant in needs]
    statements += [grant.format(role=role_name) for grant in grants]
    present = connection.execute(
        text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"), {"names": list(_OTHER_DATABASES)}
    ).scalars()
    statements += [f"REVOKE CONNECT, TEMPORARY ON DATABASE {quote(name)} FROM PUBLIC" for name in present]
    unneeded = connection.execute(_UNNEEDED_FUNCTIONS).scalars().all()
    statements += [f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC" for function in unneeded]
    for statement in statements:
        connection.execute(text(statement))
    log.info("the webapp's role %s may do what a page needs: %s", role, "; ".join(grants).format(role=role))


def _plain_role(connection: Connection, role: str, role_name: str) -> list[str]:
    """What makes `role` a plain role in no other role: nothing when it is one already (so a
    migrator that may not alter roles needs to only where there is something to undo)."""
    quote = connection.dialect.identifier_preparer.quote
    has = connection.execute(_ROLE_ATTRIBUTES, {"role": role}).one()
    statements = [f"ALTER ROLE {role_name} " + " ".join(f"NO{name}" for name in _PLAIN_ROLE)] if any(has) else []
    for granted, grantor in connection.execute(_MEMBERSHIPS, {"role": role}).all():
        statements.append(f"REVOKE {quote(granted)} FROM {role_name} GRANTED BY {quote(grantor)}")
    if statements:
        log.warning("the webapp's role %s had more than a page needs: %s", role, "; ".join(statements))
    return statements


def _exists(connection: Connection, relation: str) -> bool:
    """Whether the table or sequence ("visits") or the column ("visits.request_id") is there."""
    table, _, column = relation.partition(".")
    query = (
        "SELECT EXISTS (SELECT 1 FROM pg_attribute "
        "WHERE attrelid = to_regclass(:table) AND attname = :column AND NOT attisdropped)"
        if column
        else "SELECT to_regclass(:table) IS NOT NULL"
    )
    return connection.execute(text(query), {"table": table, "column": column}).scalar_one() is True
