"""Traces in a real Jaeger: the API, served as in production with TRACING_ENABLED, continues a
caller's W3C trace, makes a child span for its database statement, exports both over OTLP, and
puts the trace's ids on the request's log lines. Off (the default), log lines carry no ids.

Needs Jaeger 2 (stack/tools.py says how to get it): without it these tests are skipped, and fail
when CI=true.
"""

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from stack.api import serving_api
from stack.jaeger import Jaeger, running_jaeger
from stack.package import SERVICE_NAME
from stack.tools import JAEGER

from .programs import require

ClientFactory = Callable[..., AbstractAsyncContextManager[AsyncClient]]
# A caller's span: the API's request span must be its child, in its trace.
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
Span = dict[str, Any]  # as Jaeger's query API returns it


class Traces:
    """What a Jaeger holds, through its query API."""

    def __init__(self, jaeger: Jaeger) -> None:
        self.query_url = jaeger.query_url

    def trace(self, trace_id: str, spans: int, timeout_s: float = 30) -> dict[str, Any]:
        """The trace once `spans` of its spans have arrived (the exporter sends in batches):
        its `spans` and the `processes` (services) that sent them."""
        deadline = time.monotonic() + timeout_s
        found: dict[str, Any] = {"spans": []}
        while time.monotonic() < deadline:
            answer = httpx.get(f"{self.query_url}/api/traces/{trace_id}")
            if answer.status_code == 200 and answer.json()["data"]:
                found = answer.json()["data"][0]
                if len(found["spans"]) >= spans:
                    return found
            time.sleep(0.2)
        pytest.fail(f"Jaeger holds {len(found['spans'])} spans of trace {trace_id}, not {spans}")

    def root_kinds(self, service: str) -> set[str]:
        """The span kinds of the spans that start the service's traces (no parent in them)."""
        answer = httpx.get(f"{self.query_url}/api/traces", params={"service": service})
        kinds: set[str] = set()
        for trace in answer.json()["data"]:
            ids = {span["spanID"] for span in trace["spans"]}
            for span in trace["spans"]:
                if not {ref["spanID"] for ref in span["references"]} & ids:
                    kinds.add(str(tags(span).get("span.kind")))
        return kinds

    def operations(self, service: str) -> set[str]:
        """Every span name the service sent so far."""
        answer = httpx.get(f"{self.query_url}/api/traces", params={"service": service})
        return {span["operationName"] for trace in answer.json()["data"] for span in trace["spans"]}


@pytest.fixture(scope="module")
def jaeger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jaeger]:
    require(JAEGER)
    with running_jaeger(tmp_path_factory.mktemp("jaeger")) as jaeger:
        yield jaeger


@pytest.fixture(scope="module")
def traces(jaeger: Jaeger) -> Traces:
    return Traces(jaeger)


@pytest.fixture(scope="module")
def traced_api(
    database_url: str, jaeger: Jaeger, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The API as its image runs it, tracing into Jaeger; its URL and its log file."""
    log = tmp_path_factory.mktemp("traced-api") / "api.log"
    settings = {
        "API_WORKERS": "1",
        "ENVIRONMENT": "production",  # JSON lines on stdout, as a deployment writes them
        "TRACING_ENABLED": "true",
        "TRACING_OTLP_ENDPOINT": jaeger.otlp_url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s, not 5 s
    }
    with serving_api(os.environ, database_url, log, **settings) as (base_url, _):
        yield base_url, log


def access_line(log: Path, request_id: str) -> dict[str, Any]:
    """The request's access line, once the server's log has it (stdout is written in batches)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [
            json.loads(line)
            for line in log.read_text(encoding="utf-8").splitlines()
            if line[:1] == "{"
        ]
        found: list[dict[str, Any]] = [
            line
            for line in lines
            if line.get("request_id") == request_id and line["logger"] == "access"
        ]
        if found:
            return found[0]
        time.sleep(0.1)
    pytest.fail(f"no access line for {request_id} in {log}")


def by_operation(spans: list[Span], prefix: str) -> Span:
    [span] = [span for span in spans if span["operationName"].startswith(prefix)]
    return span


def parent_of(span: Span) -> str | None:
    parents = [ref["spanID"] for ref in span["references"] if ref["refType"] == "CHILD_OF"]
    return parents[0] if parents else None


def tags(span: Span) -> dict[str, Any]:
    return {tag["key"]: tag["value"] for tag in span["tags"]}


@pytest.mark.usefixtures("empty_tables")
def test_a_request_continues_the_callers_trace_down_to_its_statement(
    traced_api: tuple[str, Path], traces: Traces, api_auth: httpx.Auth | None
) -> None:
    api, log = traced_api
    traceparent = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
    headers = {"traceparent": traceparent, "X-Request-ID": "traced-create"}

    created = httpx.post(f"{api}/items", json={"title": "traced"}, headers=headers, auth=api_auth)

    assert created.status_code == 201
    trace = traces.trace(CALLER_TRACE, spans=2)
    spans = trace["spans"]
    request = by_operation(spans, "POST /items")
    statement = next(span for span in spans if tags(span).get("db.system") == "postgresql")
    assert parent_of(request) == CALLER_SPAN
    assert parent_of(statement) == request["spanID"]
    assert tags(request)["http.response.status_code"] == 201
    assert "INSERT INTO items" in tags(statement)["db.statement"]
    [process] = {span["processID"] for span in spans}
    assert trace["processes"][process]["serviceName"] == SERVICE_NAME
    # Which build and which worker: the resource names the version and the process.
    resource = {tag["key"]: tag["value"] for tag in trace["processes"][process]["tags"]}
    assert resource["service.version"] == version(SERVICE_NAME)
    host, pid = resource["service.instance.id"].rsplit("-", 1)
    assert (host, pid.isdigit()) == (socket.gethostname(), True)  # this machine's worker
    # The access line (written while the request span is current) names the same trace.
    access = access_line(log, "traced-create")
    assert (access["trace_id"], access["span_id"]) == (CALLER_TRACE, request["spanID"])


@pytest.fixture(scope="module")
def sampling_nothing_api(
    database_url: str, jaeger: Jaeger, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The API tracing at a ratio of 0, its callers untrusted (the default); URL and log."""
    log = tmp_path_factory.mktemp("untraced-api") / "api.log"
    settings = {
        "API_WORKERS": "1", "ENVIRONMENT": "production", "TRACING_ENABLED": "true",
        "TRACING_OTLP_ENDPOINT": jaeger.otlp_url, "TRACING_SAMPLE_RATIO": "0",
    }  # fmt: skip
    with serving_api(os.environ, database_url, log, **settings) as (base_url, _):
        yield base_url, log


def test_a_clients_sampled_flag_does_not_force_a_trace(
    sampling_nothing_api: tuple[str, Path], api_auth: httpx.Auth | None
) -> None:
    api, log = sampling_nothing_api
    headers = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01", "X-Request-ID": "forced"}

    assert httpx.get(f"{api}/items", headers=headers, auth=api_auth).status_code == 200

    # The service's ratio (0) decided, not the caller: the span is unsampled, and its log line
    # names no trace (its ids would point at nothing any backend holds).
    access = access_line(log, "forced")
    assert "trace_id" not in access
    assert "span_id" not in access


def test_a_request_without_a_traceparent_starts_a_trace_its_log_line_names(
    traced_api: tuple[str, Path], traces: Traces, api_auth: httpx.Auth | None
) -> None:
    api, log = traced_api

    listed = httpx.get(f"{api}/items", headers={"X-Request-ID": "traced-list"}, auth=api_auth)
    assert listed.status_code == 200

    access = access_line(log, "traced-list")
    assert access["trace_id"] != CALLER_TRACE
    spans = traces.trace(access["trace_id"], spans=2)["spans"]
    request = by_operation(spans, "GET /items")
    assert parent_of(request) is None
    assert request["spanID"] == access["span_id"]


def test_a_credential_in_the_url_reaches_no_trace(
    traced_api: tuple[str, Path], traces: Traces
) -> None:
    # With auth the API refuses a token in the URL (400), without it ignores the parameter:
    # either way the request span started with the query as it came.
    api, log = traced_api
    sent = "eyJhbGciOiJSUzI1NiJ9.a-token-sent-in-the-url.signature"
    query = {"limit": "5", "access_token": sent}

    answer = httpx.get(f"{api}/items", params=query, headers={"X-Request-ID": "traced-secret"})

    access = access_line(log, "traced-secret")
    listed = answer.status_code == 200  # then its statement has a span too
    spans = traces.trace(access["trace_id"], spans=2 if listed else 1)["spans"]
    request = by_operation(spans, "GET /items")
    assert tags(request)["url.query"] == "limit=5&access_token=REDACTED"
    assert sent not in json.dumps(request)
    assert sent not in log.read_text(encoding="utf-8")


def test_probes_make_no_trace(
    traced_api: tuple[str, Path], traces: Traces, api_auth: httpx.Auth | None
) -> None:
    api, _ = traced_api
    for path in ("/health/live", "/health/ready"):
        assert httpx.get(f"{api}{path}").status_code == 200
    # Traced: its spans follow the probes'.
    assert httpx.get(f"{api}/items", auth=api_auth).status_code == 200
    deadline = time.monotonic() + 10
    while "GET /items" not in (operations := traces.operations(SERVICE_NAME)):
        assert time.monotonic() < deadline, operations
        time.sleep(0.2)

    assert not {"GET /health/live", "GET /health/ready"} & operations
    # Nor does the readiness probe's database statement, alone as a trace of its own.
    assert traces.root_kinds(SERVICE_NAME) == {"server"}


async def test_in_process_the_app_exports_what_is_queued_when_it_stops(
    make_client: ClientFactory, jaeger: Jaeger, traces: Traces, capsys: pytest.CaptureFixture[str]
) -> None:
    # The exporter's default interval (5 s) is longer than this app lives: shutting down sends.
    async with make_client(tracing_enabled=True, tracing_otlp_endpoint=jaeger.otlp_url) as client:
        missing = "/items/00000000-0000-4000-8000-000000000000"
        response = await client.get(missing, headers={"X-Request-ID": "traced-404"})
    assert response.status_code == 404

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    # The access line: the request may log others (auth=oidc: fetching the provider's keys).
    [access] = [
        line
        for line in lines
        if line.get("request_id") == "traced-404" and line["logger"] == "access"
    ]
    spans = traces.trace(access["trace_id"], spans=2)["spans"]
    request = by_operation(spans, "GET /items/{item_id}")
    assert tags(request)["http.response.status_code"] == 404
    assert request["spanID"] == access["span_id"]
