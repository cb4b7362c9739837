"""The API as it runs in production: real server processes, not in-process ASGI."""

import json
import os
import subprocess
import sys

import httpx
import pytest


@pytest.mark.usefixtures("empty_tables")
def test_the_served_api_creates_and_lists_items(live_api: str, api_auth: httpx.Auth | None) -> None:
    with httpx.Client(base_url=live_api, auth=api_auth) as http:
        created = http.post("/items", json={"title": "over the wire"})
        listed = http.get("/items", params={"limit": 200})

    assert created.status_code == 201
    assert created.headers["location"] == f"/items/{created.json()['id']}"
    assert created.json() in listed.json()
    http_delete = httpx.delete(f"{live_api}{created.headers['location']}", auth=api_auth)
    assert http_delete.status_code == 204


@pytest.mark.usefixtures("empty_tables")
def test_the_served_api_answers_malformed_requests_with_problems(
    live_api: str, api_auth: httpx.Auth | None
) -> None:
    response = httpx.post(
        f"{live_api}/items",
        content=b"{",
        headers={"content-type": "application/json"},
        auth=api_auth,
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]


def test_each_worker_freezes_what_startup_built(serve_module: str, database_url: str) -> None:
    # In a process of its own: freezing would otherwise change the collector of the test run.
    report = (
        "import gc, json;"
        "from fastapi import FastAPI;"
        f"from {serve_module} import YOUNG_GENERATION_THRESHOLD, create_worker_app;"
        "before = gc.get_freeze_count();"
        "app = create_worker_app();"
        "print(json.dumps([isinstance(app, FastAPI), before, gc.get_freeze_count(),"
        " gc.get_threshold()[0], YOUNG_GENERATION_THRESHOLD]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", report],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )

    is_app, frozen_before, frozen_after, young_threshold, expected = json.loads(
        result.stdout.splitlines()[-1]
    )
    assert is_app
    # Some Pythons (3.12) start with a few hundred objects frozen already.
    assert frozen_after - frozen_before > 10_000  # the modules, the app, its routes and schemas
    assert young_threshold == expected > 700
