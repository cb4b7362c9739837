"""Prometheus metrics: labelled by route template, adding up across worker processes, and served
on a port of their own, never the API's."""

import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import DeployedApi


def samples(exposition: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name
    }


def in_process() -> str:
    """What this process's own registry exposes: the in-process app's samples."""
    return generate_latest(REGISTRY).decode()


async def test_requests_are_counted_by_route_template(client: AsyncClient) -> None:
    before = samples(in_process(), "http_requests_total")
    item = (await client.post("/items", json={"title": "measured"})).json()
    await client.get(f"/items/{item['id']}")
    await client.get("/items/00000000-0000-4000-8000-000000000000")
    await client.get("/no/such/path")

    exposition = in_process()
    after = samples(exposition, "http_requests_total")

    def delta(route: str, method: str, status: str) -> float:
        key = (("method", method), ("route", route), ("status_code", status))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("/items", "POST", "201") == 1
    assert delta("/items/{item_id}", "GET", "200") == 1
    assert delta("/items/{item_id}", "GET", "404") == 1
    assert delta("unmatched", "GET", "404") == 1
    assert item["id"] not in exposition  # never the raw path
    assert "/no/such/path" not in exposition


async def test_the_api_never_serves_its_metrics(client: AsyncClient) -> None:
    # An ingress routes the API's port: the metrics are on a port of their own (serve.py).
    answer = await client.get("/metrics")

    assert answer.status_code == 404
    assert "http_requests_total" not in answer.text


async def test_slo_latencies_are_bucket_boundaries(client: AsyncClient) -> None:
    await client.get("/items")
    exposition = in_process()

    buckets = {
        dict(labels)["le"] for labels in samples(exposition, "http_request_duration_seconds_bucket")
    }
    assert {"0.25", "0.5"} <= buckets


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"stale samples of an earlier run")
    return directory


def test_requests_add_up_across_two_workers(
    deployed_api: DeployedApi, metrics_dir: Path, tmp_path: Path, api_auth: httpx.Auth | None
) -> None:
    requests = 60
    # Emptied in place, not replaced: on Kubernetes it is a mounted volume, which cannot be
    # removed. A replacement would not keep the volume's mode (umask gives it 0o755).
    metrics_dir.chmod(0o770)
    volume_mode = stat.S_IMODE(metrics_dir.stat().st_mode)

    with deployed_api(metrics_dir, tmp_path / "api.log") as api:
        assert not (metrics_dir / "counter_999999.db").exists()  # wiped at start
        assert stat.S_IMODE(metrics_dir.stat().st_mode) == volume_mode
        for _ in range(requests):
            # A new connection each time: which worker takes it is the kernel's choice, and
            # on some platforms one worker takes them all.
            httpx.get(f"{api.base}/items", headers={"Connection": "close"}, auth=api_auth)
        exposition = httpx.get(f"http://{api.metrics}/metrics").text
        on_the_api_port = httpx.get(f"{api.base}/metrics")

    counted = samples(exposition, "http_requests_total")
    key = (("method", "GET"), ("route", "/items"), ("status_code", "200"))
    assert counted[key] == requests  # however the workers split them
    assert on_the_api_port.status_code == 404


def test_a_fresh_app_has_every_queried_series_at_zero(
    deployed_api: DeployedApi, tmp_path: Path
) -> None:
    # Production shape: several workers sharing a metrics directory, scraped before any traffic
    # but the launcher's own liveness check.
    with deployed_api(tmp_path / "metrics", tmp_path / "api.log") as api:
        exposition = httpx.get(f"http://{api.metrics}/metrics").text

    requests = samples(exposition, "http_requests_total")
    durations = samples(exposition, "http_request_duration_seconds_count")
    assert samples(exposition, "http_exceptions_total") == {(("exception_type", ""),): 0}
    for method, route, status in [
        ("POST", "/items", "201"),
        ("GET", "/items", "503"),  # what the error-rate alert and panel select
        ("DELETE", "/items/{item_id}", "404"),
        ("GET", "/health/ready", "503"),
    ]:
        assert requests[(("method", method), ("route", route), ("status_code", status))] == 0
        status_class = ("status_class", f"{status[0]}xx")
        assert durations[(("method", method), ("route", route), status_class)] == 0
    assert {
        dict(labels)["method"] for labels in samples(exposition, "http_requests_in_progress")
    } >= {"GET", "POST", "PUT", "DELETE"}


def test_serve_refuses_a_bad_worker_count(serve_module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", serve_module, "--workers", "many"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert "invalid int value: 'many'" in result.stderr
