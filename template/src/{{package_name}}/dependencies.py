"""How routes reach what the app owns: the state its lifespan yields (settings, connection pool),
which the server hands to every request."""

from typing import Annotated, TypedDict

from fastapi import Depends, Request

from . import db
from .settings import Settings


class AppState(TypedDict):
    """What the app's lifespan yields; each request gets a shallow copy (`request.scope`)."""

    settings: Settings
    pool: db.Pool


def state_of(request: Request) -> AppState:
    state: AppState = request.scope["state"]
    return state


def pool_of(request: Request) -> db.Pool:
    """The app's connection pool, for a route that takes the `request`.

    Not a `Depends`: FastAPI solves dependencies anew on every request, and for the pool that
    bookkeeping costs about what running the statement does (docs/decisions.md). The service
    borrows a connection from the pool for exactly one statement.
    """
    return state_of(request)["pool"]


# `async def` although nothing is awaited: FastAPI runs plain `def` dependencies in a thread
# pool, a hand-off that costs more than the whole lookup.
async def get_settings(request: Request) -> Settings:
    return state_of(request)["settings"]


AppSettings = Annotated[Settings, Depends(get_settings)]
