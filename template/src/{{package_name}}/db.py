"""The database engine and the declarative base every model shares."""

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from .settings import Settings

# Explicit constraint names keep Alembic migrations deterministic and reviewable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine the API uses: autocommit, so a request is one statement and one round trip."""
    return create_async_engine(
        settings.database_url,
        # Each request runs a single statement; AUTOCOMMIT saves the BEGIN/COMMIT round trips and
        # leaves nothing to roll back when a connection returns to the pool.
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "application_name": settings.service_name,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        },
    )
