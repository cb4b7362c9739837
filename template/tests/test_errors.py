"""Bad input gets a clear, documented 4xx in one problem+json shape, and changes nothing."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from httpx import AsyncClient, Response

PROBLEM = "application/problem+json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["instance"] == response.request.url.path
    return problem


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PUT", {"title": "x"}), ("DELETE", None)],
)
async def test_unknown_id_is_404(
    client: AsyncClient, method: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, f"/items/{UNKNOWN_ID}", json=body)

    problem = assert_problem(response, 404)
    assert UNKNOWN_ID in problem["detail"]


async def test_invalid_uuid_is_422(client: AsyncClient) -> None:
    problem = assert_problem(await client.get("/items/not-a-uuid"), 422)

    assert problem["errors"][0]["loc"] == ["path", "item_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"title": "x", "status": "archived"}, "status", id="unknown-status"),
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"title": "x" * 201}, "title", id="title-too-long"),
        pytest.param(
            {"title": "x", "description": "d" * 2001}, "description", id="description-too-long"
        ),
        pytest.param({"title": 42}, "title", id="title-not-a-string"),
        pytest.param({"title": "nul\u0000byte"}, "title", id="nul-character"),
        pytest.param({"description": "no title"}, "title", id="missing-title"),
        pytest.param({"title": "x", "owner": "me"}, "owner", id="unknown-field"),
    ],
)
async def test_invalid_body_is_422_and_creates_nothing(
    client: AsyncClient, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(await client.post("/items", json=body), 422)

    assert ["body", field] in [error["loc"] for error in problem["errors"]]
    assert (await client.get("/items")).json() == []


async def test_invalid_body_on_replace_is_422_and_changes_nothing(client: AsyncClient) -> None:
    item = (await client.post("/items", json={"title": "keep me"})).json()

    assert_problem(await client.put(f"/items/{item['id']}", json={"title": ""}), 422)
    assert (await client.get(f"/items/{item['id']}")).json() == item


@pytest.mark.parametrize(
    "content",
    [b'{"title": ', b"not json", b'{"title": "x",}'],
    ids=["truncated", "text", "trailing-comma"],
)
async def test_malformed_json_is_400(client: AsyncClient, content: bytes) -> None:
    response = await client.post(
        "/items", content=content, headers={"content-type": "application/json"}
    )

    problem = assert_problem(response, 400)
    assert "not valid JSON" in problem["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": 10_001},
        {"status": "archived"},
    ],
    ids=[
        "limit-zero",
        "limit-over-max",
        "limit-not-a-number",
        "negative-offset",
        "offset-too-deep",
        "unknown-status",
    ],
)
async def test_bad_list_parameters_are_422(client: AsyncClient, params: dict[str, Any]) -> None:
    problem = assert_problem(await client.get("/items", params=params), 422)

    assert problem["errors"][0]["loc"] == ["query", next(iter(params))]


async def test_the_deepest_page_is_bounded(client: AsyncClient) -> None:
    deepest = await client.get("/items", params={"offset": 10_000})
    deeper = assert_problem(await client.get("/items", params={"offset": 10_001}), 422)

    assert deepest.status_code == 200
    assert "less than or equal to 10000" in deeper["errors"][0]["msg"]


@pytest.fixture
async def small_body_client(
    make_client: Callable[..., AbstractAsyncContextManager[AsyncClient]],
) -> AsyncIterator[AsyncClient]:
    async with make_client(max_request_body_bytes=100) as client:
        yield client


async def test_oversized_body_is_413(small_body_client: AsyncClient) -> None:
    body = {"title": "x", "description": "d" * 200}

    assert_problem(await small_body_client.post("/items", json=body), 413)
    assert (await small_body_client.get("/items")).json() == []


async def test_oversized_streamed_body_is_413(small_body_client: AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must hold while the body streams in.
        yield b'{"title": "x", "description": "'
        yield b"d" * 200
        yield b'"}'

    response = await small_body_client.post(
        "/items", content=chunks(), headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_default_body_limit_is_one_mebibyte(client: AsyncClient) -> None:
    just_over = {"title": "x", "description": "d" * (1024 * 1024)}

    assert_problem(await client.post("/items", json=just_over), 413)


async def test_wrong_method_is_405_with_every_allowed_method(client: AsyncClient) -> None:
    collection = await client.patch("/items", json={})
    item = await client.patch(f"/items/{uuid.uuid4()}", json={})

    assert_problem(collection, 405)
    assert set(collection.headers["allow"].split(", ")) == {"GET", "POST"}
    assert set(item.headers["allow"].split(", ")) == {"GET", "PUT", "DELETE"}


async def test_openapi_documents_every_error_status(client: AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    def documented(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert documented("/items", "get") == {"200", "422", "503"}
    assert documented("/items", "post") == {"201", "400", "413", "422", "429", "503"}
    assert documented("/items/{item_id}", "get") == {"200", "404", "422", "503"}
    put = {"200", "400", "404", "413", "422", "429", "503"}
    assert documented("/items/{item_id}", "put") == put
    assert documented("/items/{item_id}", "delete") == {"204", "404", "422", "429", "503"}
    not_found = paths["/items/{item_id}"]["get"]["responses"]["404"]["content"]
    assert list(not_found) == [PROBLEM]


async def test_cors_allows_the_ui_origin_only(client: AsyncClient) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {"origin": origin, "access-control-request-method": "POST"}

    allowed = await client.options("/items", headers=preflight("http://localhost:8501"))
    refused = await client.options("/items", headers=preflight("http://evil.example"))

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:8501"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
