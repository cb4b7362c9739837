"""The Items CRUD contract, end to end through the app against a real PostgreSQL."""

import uuid
from typing import Any

from httpx import AsyncClient


async def create(client: AsyncClient, **fields: str) -> dict[str, Any]:
    response = await client.post("/items", json={"title": "An item", **fields})
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def test_list_is_empty_at_first(client: AsyncClient) -> None:
    response = await client.get("/items")

    assert response.status_code == 200
    assert response.json() == []


async def test_create_returns_the_item_and_its_location(client: AsyncClient) -> None:
    response = await client.post(
        "/items", json={"title": "Write docs", "description": "All of them"}
    )

    assert response.status_code == 201
    item = response.json()
    assert item["title"] == "Write docs"
    assert item["description"] == "All of them"
    assert item["status"] == "pending"
    assert uuid.UUID(item["id"]).version == 4
    assert item["created_at"] == item["updated_at"]
    assert response.headers["location"] == f"/items/{item['id']}"
    assert (await client.get(response.headers["location"])).json() == item


async def test_get_returns_what_was_created(client: AsyncClient) -> None:
    item = await create(client, status="in_progress")

    response = await client.get(f"/items/{item['id']}")

    assert response.status_code == 200
    assert response.json() == item


async def test_list_pages_oldest_first(client: AsyncClient) -> None:
    created = [await create(client, title=f"item {n}") for n in range(5)]

    first = (await client.get("/items", params={"limit": 2})).json()
    second = (await client.get("/items", params={"limit": 2, "offset": 2})).json()
    rest = (await client.get("/items", params={"limit": 2, "offset": 4})).json()

    assert [i["id"] for i in first + second + rest] == [i["id"] for i in created]
    assert (await client.get("/items", params={"offset": 5})).json() == []


async def test_list_pages_newest_first_on_request(client: AsyncClient) -> None:
    created = [await create(client, title=f"item {n}", status="done") for n in range(5)]
    await create(client, title="not done")
    newest_first = [item["id"] for item in reversed(created)]

    pages = [
        (await client.get("/items", params={"order": "newest", "limit": 2, "offset": offset}))
        for offset in (1, 3)
    ]
    done = await client.get("/items", params={"order": "newest", "status": "done"})

    assert [i["id"] for page in pages for i in page.json()] == newest_first[:4]
    assert [i["id"] for i in done.json()] == newest_first


async def test_an_unknown_order_is_refused(client: AsyncClient) -> None:
    response = await client.get("/items", params={"order": "random"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "order"]


async def test_list_defaults_to_50_items(client: AsyncClient) -> None:
    for n in range(51):
        await create(client, title=f"item {n}")

    assert len((await client.get("/items")).json()) == 50
    assert len((await client.get("/items", params={"limit": 200})).json()) == 51


async def test_list_filters_by_status(client: AsyncClient) -> None:
    done = await create(client, status="done")
    await create(client, status="pending")

    response = await client.get("/items", params={"status": "done"})

    assert response.json() == [done]


async def test_replace_sets_every_field_and_bumps_updated_at(client: AsyncClient) -> None:
    item = await create(client, description="old")

    response = await client.put(
        f"/items/{item['id']}", json={"title": "New title", "status": "done"}
    )

    assert response.status_code == 200
    replaced = response.json()
    assert replaced["title"] == "New title"
    assert replaced["status"] == "done"
    assert replaced["description"] is None  # a replacement: left out means default
    assert replaced["created_at"] == item["created_at"]
    assert replaced["updated_at"] > item["updated_at"]
    assert (await client.get(f"/items/{item['id']}")).json() == replaced


async def test_delete_removes_the_item(client: AsyncClient) -> None:
    item = await create(client)

    response = await client.delete(f"/items/{item['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/items/{item['id']}")).status_code == 404
    assert (await client.delete(f"/items/{item['id']}")).status_code == 404
    assert (await client.get("/items")).json() == []
