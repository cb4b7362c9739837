"""Every Grafana panel's query, run against a real Prometheus that scraped the API (and
postgres-exporter, and took k6's remote write) under real traffic. No Grafana runs here: this
is how the dashboards are known to show something. Before that traffic, every series a panel or
an alert rule selects already exists, at 0: nothing says "no data" on a fresh stack.

Needs Prometheus, postgres-exporter and k6 (stack/tools.py says how to install each): without
them these tests are skipped, and fail when CI=true.
"""

import json
import math
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from stack import slo
from stack.__main__ import main
from stack.database import exporter_dsn
from stack.load import k6_binary
from stack.processes import free_port, running
from stack.tools import K6, POSTGRES_EXPORTER, PROMETHEUS

from .conftest import DeployedApi
from .programs import do_without, require
from .test_slo import promtool_test, requests_of

PROJECT_ROOT = Path(__file__).parents[1]
DASHBOARDS = sorted((PROJECT_ROOT / "compose" / "grafana" / "dashboards").glob("*.json"))
RULES_DIR = PROJECT_ROOT / "compose" / "prometheus" / "rules"
# A series selector of the service's or the database's metrics: k6's exist once k6 runs.
# Label values may hold braces themselves: route="/items/{item_id}".
SELECTOR = re.compile(r'\b(?:(?:http|pg)_\w+|up)\b(?:\{(?:[^{}"]|"[^"]*")*\})?')


# What Grafana puts in place of the dashboards' variables in Compose: the API's job, every
# namespace (Compose has none), and a rate range of four of this test's 1 s scrapes or more.
VARIABLES = {"$job": "backend", "$namespace": ".*", "$__rate_interval": "1m"}


def as_grafana_sends(expr: str) -> str:
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def panels() -> list[Any]:
    return [
        pytest.param(
            as_grafana_sends(target["expr"]), panel["title"], id=f"{path.stem}: {panel['title']}"
        )
        for path in DASHBOARDS
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]
        for target in panel["targets"]
    ]


def selected_series() -> list[str]:
    """Every series selector in a panel query or an alert rule."""
    rules = [
        rule["expr"]
        for path in sorted(RULES_DIR.glob("*.yml"))
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]
    exprs = [param.values[0] for param in panels()] + rules
    return sorted({selector for expr in exprs for selector in SELECTOR.findall(expr)})


@dataclass(frozen=True)
class Observed:
    prometheus: str  # its base URL
    absent_before_traffic: list[str]  # selectors that matched no series on the first scrape


def query(prometheus: str, expr: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}).json()
    return answer


def drive_traffic(api: str, auth: httpx.Auth | None) -> None:
    with httpx.Client(base_url=api, auth=auth) as http:
        for n in range(30):
            item = http.post("/items", json={"title": f"observed {n}"}).json()
            http.get(f"/items/{item['id']}")
            http.put(f"/items/{item['id']}", json={"title": "seen", "status": "done"})
            http.get("/items", params={"limit": 5})
            http.get("/items/not-a-uuid")  # 422
            http.delete(f"/items/{item['id']}")
            http.get(f"/items/{item['id']}")  # 404


def k6_run(api: str, prometheus: str, token: str | None) -> None:
    env = {
        **os.environ,
        **({"TOKEN": token} if token else {}),  # k6/lib/common.js sends it as a bearer token
        "API_BASE": api,
        "DURATION_SCALE": "0.1",
        "K6_PROMETHEUS_RW_SERVER_URL": f"{prometheus}/api/v1/write",
        "K6_PROMETHEUS_RW_TREND_STATS": "p(95),p(99),min,max",
        # Several pushes even in a short run, so rates over them exist.
        "K6_PROMETHEUS_RW_PUSH_INTERVAL": "1s",
    }
    script = PROJECT_ROOT / "k6" / "crud.js"
    k6 = k6_binary() or do_without(K6.missing())
    command = [
        k6,
        "run",
        "--quiet",
        # Traffic for the dashboards, not a verdict on this machine's speed (`nox -s load` is).
        "--no-thresholds",
        "--out",
        "experimental-prometheus-rw",
        str(script),
    ]
    subprocess.run(command, env=env, check=True, capture_output=True)


def wait_for(prometheus: str, expr: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if query(prometheus, expr)["data"]["result"]:
            return
        time.sleep(1)
    targets = httpx.get(f"{prometheus}/api/v1/targets").json()["data"]["activeTargets"]
    health = [(t["labels"]["job"], t["health"], t["lastError"]) for t in targets]
    pytest.fail(f"Prometheus never had data for {expr}; its targets: {health}")


@pytest.fixture(scope="module")
def observed(
    database_url: str,
    deployed_api: DeployedApi,
    api_auth: httpx.Auth | None,
    api_token: Callable[[], str | None],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Observed]:
    prometheus_binary, exporter_binary = require(PROMETHEUS, POSTGRES_EXPORTER)
    workdir = tmp_path_factory.mktemp("prometheus")
    exporter = f"127.0.0.1:{free_port()}"
    exporter_env = {**os.environ, "DATA_SOURCE_NAME": exporter_dsn(database_url)}
    exporter_command = [exporter_binary, f"--web.listen-address={exporter}"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    prometheus_command = [
        prometheus_binary, f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-remote-write-receiver",
    ]  # fmt: skip
    with ExitStack() as processes:
        # A fresh API in production shape (workers sharing a metrics directory): nothing has
        # called it when Prometheus first scrapes it.
        api = processes.enter_context(deployed_api(workdir / "metrics", workdir / "api.log"))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES_DIR / "*.yml")],
            "scrape_configs": [
                {
                    "job_name": "backend",
                    "static_configs": [{"targets": [api.metrics]}],
                },
                {"job_name": "postgres", "static_configs": [{"targets": [exporter]}]},
            ],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        processes.enter_context(
            running(
                exporter_command,
                exporter_env,
                f"http://{exporter}/metrics",
                workdir / "exporter.log",
            )
        )
        processes.enter_context(
            running(
                prometheus_command, dict(os.environ), f"{url}/-/ready", workdir / "prometheus.log"
            )
        )
        # Prometheus' first scrapes come seconds after it is ready: traffic before them would
        # leave the counters flat in its eyes, and every rate zero.
        wait_for(url, 'up{job="backend"} == 1')
        wait_for(url, 'up{job="postgres"} == 1')
        absent = [
            selector for selector in selected_series() if not query(url, selector)["data"]["result"]
        ]
        drive_traffic(api.base, api_auth)
        k6_run(api.base, url, api_token())
        wait_for(url, 'sum(rate(http_requests_total{job="backend"}[1m])) > 0')
        wait_for(url, "pg_up == 1")
        wait_for(url, "rate(k6_http_reqs_total[1m]) > 0")
        yield Observed(url, absent)


@pytest.fixture(scope="module")
def prometheus(observed: Observed) -> str:
    return observed.prometheus


def test_every_selected_series_exists_before_any_traffic(observed: Observed) -> None:
    assert 'http_exceptions_total{job="backend",namespace=~".*"}' in selected_series()
    assert observed.absent_before_traffic == []


def test_prometheus_scrapes_the_api_and_the_database(prometheus: str) -> None:
    up = query(prometheus, "up")["data"]["result"]

    assert {(r["metric"]["job"], r["value"][1]) for r in up} == {
        ("backend", "1"),
        ("postgres", "1"),
    }


def test_the_alert_rules_load_and_evaluate(prometheus: str) -> None:
    groups = httpx.get(f"{prometheus}/api/v1/rules").json()["data"]["groups"]

    assert {group["name"] for group in groups} == {
        "availability",
        "slo-ratios",
        "slo-ratios-long",
        "slo-burn-rates",
    }
    assert [r["name"] for g in groups for r in g["rules"] if r["health"] == "err"] == []


@pytest.mark.parametrize(("expr", "title"), panels())
def test_every_panel_query_answers(prometheus: str, expr: str, title: str) -> None:
    answer = query(prometheus, expr)

    assert answer["status"] == "success", answer
    assert answer["data"]["result"], f"{title!r} is empty: {expr}"


def within_any_time() -> tuple[float, list[slo.Objective]]:
    """The SLO file's operations, each promised an answer within +Inf: what the traffic above
    meets whatever the machine's speed (none of it failed with a 5xx)."""
    error_rate, objectives = slo.load_slo()
    return error_rate, [replace(objective, seconds=math.inf) for objective in objectives]


def test_the_slo_gate_passes_on_the_requests_prometheus_saw(
    prometheus: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    objectives = within_any_time()
    monkeypatch.setattr(slo, "load_slo", lambda: objectives)

    code = main(["slo", "--gate", prometheus, "--window", "5m"])

    table = capsys.readouterr().out
    assert code == 0, table
    assert "create" in table
    assert "95% within inf ms" in table
    assert "FAIL" not in table


def test_the_slo_gate_fails_an_objective_without_requests_or_out_of_reach(
    prometheus: str,
) -> None:
    error_rate, objectives = within_any_time()
    nowhere = replace(objectives[0], operation="nowhere", route="/nowhere")
    beyond = replace(objectives[0], operation="beyond", quantile=1.01)

    verdicts = slo.gate(prometheus, "5m", error_rate, [nowhere, beyond])

    assert [(v.operation, v.measured, v.passed) for v in verdicts] == [
        ("all", verdicts[0].measured, True),
        ("nowhere", "no requests", False),
        ("beyond", "100.00%", False),
    ]


def test_the_slo_gate_names_a_window_prometheus_refuses(prometheus: str) -> None:
    with pytest.raises(slo.GateError) as refused:
        slo.gate(prometheus, "a fortnight", *within_any_time())

    assert f"Prometheus at {prometheus} refused" in str(refused.value)


def test_every_rate_range_is_grafanas_rate_interval_or_longer() -> None:
    # $__rate_interval is at least four scrape intervals (the data source's timeInterval); a
    # fixed 1m range over a 30 s scrape would rest on two samples.
    ranges = {
        found
        for path in DASHBOARDS
        if path.stem in {"api", "slo"}
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]
        for target in panel["targets"]
        for found in re.findall(r"(?:rate|increase)\([^\[]*\[([^\]]+)\]", target["expr"])
    }
    assert ranges <= {"$__rate_interval", "5m"}, ranges


def test_the_api_dashboards_error_ratio_is_the_slis_per_deployment(tmp_path: Path) -> None:
    # Two namespaces' APIs in one Prometheus: prod's users get 50 % 5xx beside three pods'
    # probes (3 req/s, all 200), staging is healthy and busier. The panel must read what the
    # SLI reads, each deployment apart: not a ratio diluted by probes and merged with staging.
    dashboard = PROJECT_ROOT / "compose" / "grafana" / "dashboards" / "api.json"
    api = json.loads(dashboard.read_text(encoding="utf-8"))
    [expr] = [
        target["expr"]
        for panel in api["panels"]
        if panel["title"].startswith("Server error ratio")
        for target in panel["targets"]
    ]
    # A 5m range: promtool's samples here are a minute apart.
    sent = as_grafana_sends(expr.replace("$__rate_interval", "5m"))
    probes = 'http_requests_total{job="backend",namespace="prod",method="GET",'
    test = {
        "interval": "1m",
        "input_series": requests_of("backend", "prod", 50, 50)
        + requests_of("backend", "staging", 0, 300)
        + [{"series": probes + 'route="/health/live",status_code="200"}', "values": "0+180x30"}],
        "promql_expr_test": [{"expr": sent, "eval_time": "20m", "exp_samples": [
            {"labels": '{job="backend",namespace="prod"}', "value": 0.5},
            {"labels": '{job="backend",namespace="staging"}', "value": 0},
        ]}],
    }  # fmt: skip

    promtool_test([test], {}, tmp_path)
