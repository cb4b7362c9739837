"""The API as it runs in production: a real uvicorn process over HTTP, not in-process ASGI."""

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("empty_tables")


def test_the_served_api_creates_and_lists_items(live_api: str) -> None:
    with httpx.Client(base_url=live_api) as http:
        created = http.post("/items", json={"title": "over the wire"})
        listed = http.get("/items", params={"limit": 200})

    assert created.status_code == 201
    assert created.headers["location"] == f"/items/{created.json()['id']}"
    assert created.json() in listed.json()
    http_delete = httpx.delete(f"{live_api}{created.headers['location']}")
    assert http_delete.status_code == 204


def test_the_served_api_answers_malformed_requests_with_problems(live_api: str) -> None:
    response = httpx.post(
        f"{live_api}/items", content=b"{", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
