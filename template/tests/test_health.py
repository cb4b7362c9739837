"""Liveness and readiness, including a real database outage and recovery without a restart."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from httpx import AsyncClient, Response
from sqlalchemy import Engine, text
from stack.database import EmbeddedPostgres


async def test_live(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_the_database_answers(client: AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# The pool retries a failed connection after 1, 2, 4, 8 ... seconds (psycopg_pool's backoff), so
# after this test's outage of a few seconds its next attempt can be up to ~8 s after the restart.
# An orchestrator probes readiness repeatedly; so does the test, and bounds how long it takes.
RECONNECT_BOUND_S = 20.0


async def _ready_within(client: AsyncClient, seconds: float) -> Response:
    deadline = time.monotonic() + seconds
    while (response := await client.get("/health/ready")).status_code != 200:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    return response


async def test_ready_follows_the_database_down_and_back_up(
    make_client: Callable[..., AbstractAsyncContextManager[AsyncClient]],
    stoppable_database: EmbeddedPostgres,
) -> None:
    async with make_client(database_url=stoppable_database.url) as client:
        assert (await client.get("/health/ready")).status_code == 200
        created = (await client.post("/items", json={"title": "survives"})).json()

        stoppable_database.stop()
        down = await client.get("/health/ready")
        items_while_down = await client.get("/items")
        live_while_down = await client.get("/health/live")

        stoppable_database.start()
        # No restart of the app: the pool drops the dead connections and reconnects by itself.
        up = await _ready_within(client, seconds=RECONNECT_BOUND_S)
        items_after = await client.get("/items")

    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert items_while_down.status_code == 503
    assert items_while_down.headers["retry-after"] == "1"
    assert live_while_down.status_code == 200
    assert up.status_code == 200
    assert items_after.json() == [created]


async def test_ready_while_every_pooled_connection_is_busy(
    make_client: Callable[..., AbstractAsyncContextManager[AsyncClient]], database: Engine
) -> None:
    # A pool of one, held by a request stuck behind a lock: the pool is saturated, the database
    # is fine. Readiness asks on its own connection, so the pod stays in the load balancer.
    async with make_client(
        db_pool_min_size=1, db_pool_max_size=1, db_statement_timeout_ms=60_000
    ) as client:
        with database.connect() as locker:
            locker.execute(text("LOCK TABLE items IN ACCESS EXCLUSIVE MODE"))
            stuck = asyncio.create_task(client.get("/items"))
            for _ in range(400):  # the request reaches the lock within moments
                if locker.execute(text(WAITING_FOR_THE_LOCK)).scalar_one():
                    break
                await asyncio.sleep(0.05)
            ready = await client.get("/health/ready")
            locker.rollback()  # the lock goes, the stuck request ends
        listed = await stuck

    assert ready.status_code == 200
    assert listed.status_code == 200


# Some session of this database is waiting for a lock: the stuck request has the pool's connection.
WAITING_FOR_THE_LOCK = (
    "SELECT count(*) > 0 FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
