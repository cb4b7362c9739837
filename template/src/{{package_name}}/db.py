"""The database: the declarative base the models share, the statements they compile to, and the
connection pool the API runs those statements on.

SQLAlchemy describes the schema (and Alembic migrates it) and builds every statement, once, at
import. At request time the compiled SQL goes straight to psycopg: SQLAlchemy's execution layer
cost about as much CPU as all the rest of a request (docs/decisions.md).
"""

from collections.abc import Awaitable, Callable, Collection

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import MetaData, make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import ClauseElement

from .settings import Settings

# Explicit constraint names keep Alembic migrations deterministic and reviewable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Connection = AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Connection]

_DIALECT = make_url("postgresql+psycopg://").get_dialect()()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def to_sql(statement: ClauseElement, *, set_columns: Collection[str] = ()) -> str:
    """A SQLAlchemy statement as the SQL text psycopg runs, with `%(name)s` parameters.

    An INSERT or UPDATE sets `set_columns` from parameters of the same names.
    """
    return str(statement.compile(dialect=_DIALECT, column_keys=list(set_columns) or None))


def create_pool(
    settings: Settings, configure: Callable[[Connection], Awaitable[None]] | None = None
) -> Pool:
    """The API's connections, opened by `await pool.open()`: each request borrows one for a single
    statement in autocommit mode, so it is one round trip and nothing is left to roll back.
    `configure` prepares each new connection (tracing instruments it)."""
    return AsyncConnectionPool(
        settings.database_url.get_secret_value(),
        connection_class=Connection,
        kwargs={
            "autocommit": True,
            "row_factory": dict_row,
            "connect_timeout": settings.db_connect_timeout_s,
            "application_name": settings.service_name,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        },
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        timeout=settings.db_pool_timeout_s,
        configure=configure,
        name=settings.service_name,
        open=False,
    )


async def database_answers(settings: Settings) -> None:
    """Readiness' question, asked on a connection of its own, opened and closed each time:
    never one of the request pool's, so a pool saturated by slow requests does not make every
    pod unready at once (and the load balancer send the load elsewhere, to more of the same).
    Raises psycopg.Error or OSError when the database does not answer."""
    async with await AsyncConnection.connect(
        settings.database_url.get_secret_value(),
        autocommit=True,
        connect_timeout=settings.db_connect_timeout_s,
        application_name=f"{settings.service_name}-readiness",
    ) as conn:
        await conn.execute("SELECT 1")
