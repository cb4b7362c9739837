"""Request-scoped resources, injected into routes with `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from . import db
from .settings import Settings


# `async def` although nothing is awaited: FastAPI runs plain `def` dependencies in a thread
# pool, a hand-off that costs more than the whole lookup. No `yield` either: the service borrows
# a connection for exactly one statement, rather than for the whole request.
async def get_pool(request: Request) -> db.Pool:
    pool: db.Pool = request.app.state.pool
    return pool


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Pool = Annotated[db.Pool, Depends(get_pool)]
AppSettings = Annotated[Settings, Depends(get_settings)]
