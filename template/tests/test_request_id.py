"""Every response names its request: the caller's X-Request-ID when sane, a fresh one otherwise."""

import re

import pytest
from httpx import AsyncClient


async def test_a_request_id_is_generated(client: AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")

    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_the_callers_request_id_is_returned(client: AsyncClient) -> None:
    response = await client.get("/items", headers={"X-Request-ID": "ui-42.retry:1"})

    assert response.headers["x-request-id"] == "ui-42.retry:1"


@pytest.mark.parametrize(
    "unsafe", ["x" * 129, "two words", "a,b", ""], ids=["too-long", "space", "comma", "empty"]
)
async def test_an_unsafe_request_id_is_replaced(client: AsyncClient, unsafe: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": unsafe})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_error_responses_carry_the_request_id(client: AsyncClient) -> None:
    response = await client.get("/items/not-a-uuid", headers={"X-Request-ID": "trace-me"})

    assert response.status_code == 422
    assert response.headers["x-request-id"] == "trace-me"
