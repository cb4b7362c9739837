"""The migrations build exactly the schema the models describe, and can be undone."""

from collections.abc import Callable

from alembic import command
from sqlalchemy import create_engine, inspect

from .postgres import alembic_config, psycopg_url


def test_models_and_migrations_agree(database_url: str) -> None:
    # Raises if autogenerate would write a new revision (`alembic check`).
    command.check(alembic_config(database_url))


def test_downgrade_to_base_and_upgrade_again(create_database: Callable[[], str]) -> None:
    url = create_database()
    config = alembic_config(url)
    engine = create_engine(psycopg_url(url))

    command.upgrade(config, "head")
    command.downgrade(config, "base")
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["alembic_version"]
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert "items" in inspect(conn).get_table_names()
    engine.dispose()
