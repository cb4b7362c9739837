"""How routes reach what the app owns: its settings and its connection pool."""

from typing import Annotated

from fastapi import Depends, Request

from . import db
from .settings import Settings


def pool_of(request: Request) -> db.Pool:
    """The app's connection pool, for a route that takes the `request`.

    Not a `Depends`: FastAPI solves dependencies anew on every request, and for the pool that
    bookkeeping cost ~50-90 µs (measured in process), about what running the statement costs.
    The service borrows a connection from the pool for exactly one statement.
    """
    pool: db.Pool = request.app.state.pool
    return pool


# `async def` although nothing is awaited: FastAPI runs plain `def` dependencies in a thread
# pool, a hand-off that costs more than the whole lookup.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]
