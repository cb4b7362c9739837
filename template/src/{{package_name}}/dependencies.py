"""Request-scoped resources, injected into routes with `Annotated` aliases."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .settings import Settings


# `async def` although nothing is awaited: FastAPI runs plain `def` dependencies in a thread
# pool, a hand-off that costs more than the whole lookup.
async def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_connection(
    engine: Annotated[AsyncEngine, Depends(get_engine)],
) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        yield conn


Connection = Annotated[AsyncConnection, Depends(get_connection)]
Engine = Annotated[AsyncEngine, Depends(get_engine)]
AppSettings = Annotated[Settings, Depends(get_settings)]
