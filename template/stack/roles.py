"""The API's database role: DML on the schema's tables and nothing else.

Migrations run as the schema's owner; the API connects as a role that may read and write rows
but never create, alter or drop anything (PostgreSQL 15 and later give PUBLIC no CREATE on the
`public` schema; it is revoked here all the same, for a server that still does). A bug or an
injected statement in the API cannot change the schema, and nobody mistakes the API for the
place migrations run. Nor may it touch `alembic_version` (rewriting it would make the next
migration skip or repeat steps) or create temporary tables (PUBLIC may, by default).
"""

import psycopg
from psycopg import sql
from sqlalchemy import make_url

# Only what the API's statements need (items/service.py): rows, and the sequences of the tables.
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# The migrations' own table (Alembic's), in the schema the grants cover.
MIGRATIONS_TABLE = "public.alembic_version"


def grant_app_role(owner_url: str, role: str, password: str) -> str:
    """Create (or update) `role` with `password` and DML on every table of the `public` schema,
    now and those its owner creates later, except the migrations' table; the URL that connects as
    it (`owner_url`'s server and database). Run it after the migrations: a migrations' table made
    later would get the default grants. Idempotent: `up` runs it on every start."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_user, current_database(),"
            " EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s), to_regclass(%s) IS NOT NULL",
            (role, MIGRATIONS_TABLE),
        ).fetchone()
        if row is None:  # a SELECT without FROM always has its row
            msg = "PostgreSQL did not say who is connected"
            raise RuntimeError(msg)
        owner, database, exists, migrated = row
        verb = sql.SQL("ALTER") if exists else sql.SQL("CREATE")
        name = sql.Identifier(role)
        statements: list[sql.Composed | sql.SQL] = [
            sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                verb, name, sql.Literal(password)
            ),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
            sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.SQL(TABLE_PRIVILEGES), name
            ),
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(name),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT {} ON TABLES TO {}"
            ).format(sql.Identifier(owner), sql.SQL(TABLE_PRIVILEGES), name),
            # Every role may make temporary tables unless revoked from PUBLIC (and the role).
            sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
            sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(
                sql.Identifier(database), name
            ),
        ]
        if migrated:  # after the grants on ALL TABLES, which included it
            statements.append(
                sql.SQL("REVOKE ALL ON {} FROM {}").format(
                    sql.Identifier(*MIGRATIONS_TABLE.split(".")), name
                )
            )
        for statement in statements:
            conn.execute(statement)
    return make_url(owner_url).set(username=role, password=password).render_as_string(False)


def drop_app_role(owner_url: str, role: str) -> None:
    """Remove `role` and what it was granted in `owner_url`'s database (tests clean up with it)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
