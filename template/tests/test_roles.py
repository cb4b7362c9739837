"""The API's database role (stack/roles.py) reads and writes rows and changes no schema; the
whole suite runs the API on it (conftest.py's `api_database_url`)."""

import psycopg
import pytest
from psycopg import errors

SCHEMA_CHANGES = [
    "CREATE TABLE intruder (id int)",
    "DROP TABLE items",
    "ALTER TABLE items ADD COLUMN intruder text",
    "CREATE INDEX ix_intruder ON items (title)",
    "TRUNCATE items",
    "CREATE TEMP TABLE intruder (id int)",
    # Alembic's record of the schema's version is the migrations', not the API's.
    "UPDATE alembic_version SET version_num = 'intruder'",
    "DELETE FROM alembic_version",
]


@pytest.mark.parametrize("statement", SCHEMA_CHANGES, ids=lambda s: " ".join(s.split()[:3]))
def test_the_apis_role_cannot_change_the_schema(api_database_url: str, statement: str) -> None:
    with (
        psycopg.connect(api_database_url, autocommit=True) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


@pytest.mark.usefixtures("empty_tables")
def test_the_apis_role_reads_and_writes_rows(api_database_url: str) -> None:
    with psycopg.connect(api_database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO items (id, title, status) VALUES (gen_random_uuid(), 'x', 'pending')"
            " RETURNING id"
        ).fetchone()
        assert row is not None
        conn.execute("UPDATE items SET title = 'y' WHERE id = %s", row)
        assert conn.execute("SELECT title FROM items WHERE id = %s", row).fetchone() == ("y",)
        conn.execute("DELETE FROM items WHERE id = %s", row)


def test_the_apis_role_is_neither_superuser_nor_owner(api_database_url: str) -> None:
    with psycopg.connect(api_database_url) as conn:
        facts = conn.execute(
            "SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole,"
            " pg_get_userbyid(c.relowner) = current_user"
            " FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.relname = 'items'"
        ).fetchone()

    assert facts == (False, False, False, False)
