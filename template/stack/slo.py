"""The SLO file (k6/slo.json) turned into Prometheus alert rules and a Grafana SLO dashboard,
and a gate that asks Prometheus whether the service met it.

`python -m stack slo` writes the rules and the dashboard for Compose and, when the service has a
Helm chart, the chart's copies (its PrometheusRule and dashboard ConfigMaps); `--check` (run by
`nox -s lint`) fails when any no longer matches the SLO file, or when an objective's latency is
not a bucket boundary of the API's histogram (Prometheus could then only estimate it).
`--gate PROMETHEUS_URL` measures every objective over a past window, from the API's own metrics:
the verdict on a load that many k6 runners made together.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.utils import floatToGoString

from .package import LATENCY_BUCKETS, SERVICE_NAME
from .services import CHART_DIR, PROJECT_ROOT
from .verdicts import Verdict

SLO_FILE = PROJECT_ROOT / "k6" / "slo.json"
RULES_FILE = PROJECT_ROOT / "compose" / "prometheus" / "rules" / "slo.rules.yml"
DASHBOARDS_DIR = PROJECT_ROOT / "compose" / "grafana" / "dashboards"
DASHBOARD_FILE = DASHBOARDS_DIR / "slo.json"
# The dashboards that also hold on Kubernetes (database.json reads postgres-exporter's metrics;
# CloudNativePG publishes its own dashboard).
CHART_DASHBOARDS = ("api.json", "slo.json")
HEADER = "# Generated from k6/slo.json by `nox -s slo`: edit the SLO file, not this one.\n"
WINDOW = "5m"
# The API's scrape job, named "backend" in Compose, native `up` and the chart's ServiceMonitor.
JOB = 'job="backend"'


@dataclass(frozen=True)
class Target:
    """Where the rules run: what tells them PostgreSQL is down differs."""

    database_down: str
    database_down_summary: str


COMPOSE = Target("pg_up == 0", "postgres-exporter cannot reach PostgreSQL.")
# CloudNativePG's exporter, in each instance of deploy/cnpg/cluster.yaml.
KUBERNETES = Target(
    f'max(cnpg_collector_up{{cluster="{SERVICE_NAME}-db"}}) == 0',
    "No instance of the CloudNativePG cluster reaches PostgreSQL.",
)


@dataclass(frozen=True)
class Objective:
    operation: str
    method: str
    route: str
    quantile: float  # 0.95
    seconds: float  # 0.25

    @property
    def selector(self) -> str:
        return f'{JOB},method="{self.method}",route="{self.route}"'

    @property
    def le(self) -> str:
        # How prometheus_client writes the bucket label.
        return str(floatToGoString(self.seconds))  # type: ignore[no-untyped-call]

    @property
    def labels(self) -> dict[str, str]:
        return {"operation": self.operation, "quantile": str(self.quantile)}

    @property
    def budget(self) -> float:
        """The share of requests allowed to be slower: 0.05 for a p95."""
        return round(1 - self.quantile, 6)

    def share_within(self, window: str = WINDOW) -> str:
        """PromQL: the share of requests answered within the objective's latency."""
        bucket = f'http_request_duration_seconds_bucket{{{self.selector},le="{self.le}"}}'
        count = f"http_request_duration_seconds_count{{{self.selector}}}"
        return f"sum(rate({bucket}[{window}])) / sum(rate({count}[{window}]))"


def load_slo() -> tuple[float, list[Objective]]:
    slo = json.loads(SLO_FILE.read_text())
    objectives = [
        Objective(name, op["method"], op["route"], quantile, op[key] / 1000)
        for name, op in slo["operations"].items()
        for quantile, key in ((0.95, "p95_ms"), (0.99, "p99_ms"))
    ]
    return float(slo["error_rate"]), objectives


def error_ratio(window: str = WINDOW) -> str:
    errors = f'sum(rate(http_requests_total{{{JOB},status_code=~"5.."}}[{window}]))'
    return f"({errors} or vector(0)) / sum(rate(http_requests_total{{{JOB}}}[{window}]))"


@dataclass(frozen=True)
class BurnRate:
    """A multiwindow burn-rate alert (the SRE workbook, chapter 5): the error budget burns
    `factor` times faster than the objective allows over `long`, and still does over `short`
    (which also ends the alert soon after the burning stops)."""

    factor: float
    long: str
    short: str
    severity: str  # critical pages someone; warning opens a ticket


# The workbook's pairs for a 30-day budget: 2 % of it gone in an hour or 5 % in six pages;
# 10 % in a day or in three days opens a ticket.
BURN_RATES = (
    BurnRate(14.4, "1h", "5m", "critical"),
    BurnRate(6, "6h", "30m", "critical"),
    BurnRate(3, "1d", "2h", "warning"),
    BurnRate(1, "3d", "6h", "warning"),
)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
ERRORS = "slo:errors:ratio_rate"  # + a window: the share of requests that failed with a 5xx
SLOW = "slo:slow_requests:ratio_rate"  # + a window, per objective: the share slower than it
RUNBOOKS_FILE = PROJECT_ROOT / "docs" / "runbooks.md"
RUNBOOKS = RUNBOOKS_FILE.relative_to(PROJECT_ROOT).as_posix()  # what runbook_url links
# What each alert means and where to look first; docs/runbooks.md says more.
DESCRIPTIONS = {
    "ApiDown": "No scrape of the API has succeeded for a minute: its processes are down, "
    "restarting, or not listening. Read its logs first.",
    "DatabaseDown": "The API's requests that touch the database fail with 503 while this "
    "lasts. Check that PostgreSQL runs and accepts connections.",
    "ErrorBudgetBurn": "Requests fail with a 5xx faster than k6/slo.json allows. The API's "
    "error log and its dashboard's exceptions panel name the failing routes.",
    "LatencyBudgetBurn": "Requests of one operation are slower than its objective too often. "
    "Look at the database's load and the API's CPU before the code.",
}


def recording_rules(objectives: list[Objective]) -> list[dict[str, Any]]:
    """The ratios every burn-rate alert compares, once per window."""
    rules: list[dict[str, Any]] = [
        {"record": f"{ERRORS}{window}", "expr": error_ratio(window)} for window in WINDOWS
    ]
    for objective in objectives:
        rules += [
            {
                "record": f"{SLOW}{window}",
                "expr": f"1 - ({objective.share_within(window)})",
                "labels": objective.labels,
            }
            for window in WINDOWS
        ]
    return rules


def _burning(record: str, burn: BurnRate, budget: float, selector: str = "") -> str:
    threshold = f"{round(burn.factor * budget, 6):g}"
    long, short = f"{record}{burn.long}{selector}", f"{record}{burn.short}{selector}"
    return f"{long} > {threshold} and {short} > {threshold}"


def alert_rules(
    error_rate: float, objectives: list[Objective], target: Target = COMPOSE
) -> dict[str, Any]:
    availability = [
        _alert("ApiDown", f"up{{{JOB}}} == 0", "1m", "critical", "The API does not answer Prometheus' scrapes."),
        _alert("DatabaseDown", target.database_down, "1m", "critical", target.database_down_summary),
    ]  # fmt: skip
    burns = []
    for burn in BURN_RATES:
        spent = f"{burn.factor:g}x the error budget over {burn.long} (and still over {burn.short})"
        burns.append(
            _alert(
                "ErrorBudgetBurn",
                _burning(ERRORS, burn, error_rate),
                None,
                burn.severity,
                f"5xx responses are spending {spent}.",
                {"window": burn.long},
            )
        )
        for objective in objectives:
            selector = "{" + ",".join(f'{k}="{v}"' for k, v in objective.labels.items()) + "}"
            burns.append(
                _alert(
                    "LatencyBudgetBurn",
                    _burning(SLOW, burn, objective.budget, selector),
                    None,
                    burn.severity,
                    f"{objective.operation} requests slower than {objective.seconds * 1000:g} ms "
                    f"(objective: {objective.quantile:.0%} within) are spending {spent}.",
                    {"window": burn.long, **objective.labels},
                )
            )
    return {
        "groups": [
            {"name": "availability", "rules": availability},
            {"name": "slo-ratios", "rules": recording_rules(objectives)},
            {"name": "slo-burn-rates", "rules": burns},
        ]
    }


def _alert(
    name: str,
    expr: str,
    for_: str | None,
    severity: str,
    summary: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    alert: dict[str, Any] = {"alert": name, "expr": expr}
    if for_ is not None:
        alert["for"] = for_
    return alert | {
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {
            "summary": summary,
            "description": DESCRIPTIONS[name],
            "runbook_url": f"{RUNBOOKS}#{name.lower()}",
        },
    }


def slo_dashboard(error_rate: float, objectives: list[Objective]) -> dict[str, Any]:
    panels = [
        _panel(
            f"Error ratio (objective: below {error_rate:.1%})",
            error_ratio("1m"),
            "percentunit",
            error_rate,
            0,
        )
    ]
    for index, objective in enumerate(objectives, start=1):
        title = (
            f"{objective.operation}: share within {objective.seconds * 1000:g} ms "
            f"(objective: {objective.quantile:.0%})"
        )
        panels.append(
            _panel(
                title,
                objective.share_within("1m"),
                "percentunit",
                objective.quantile,
                index,
            )
        )
    return {
        "uid": "slo",
        "title": "Service-level objectives",
        "description": "Generated from k6/slo.json by `nox -s slo`.",
        "tags": ["slo"],
        "schemaVersion": 39,
        "time": {"from": "now-30m", "to": "now"},
        "refresh": "10s",
        "panels": panels,
    }


def _panel(title: str, expr: str, unit: str, threshold: float, index: int) -> dict[str, Any]:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": {
                    "mode": "absolute",
                    "steps": [
                        {"color": "green", "value": None},
                        {"color": "red", "value": threshold},
                    ],
                },
                "custom": {"thresholdsStyle": {"mode": "line"}},
            },
            "overrides": [],
        },
        "targets": [
            {"refId": "A", "expr": expr, "datasource": {"type": "prometheus", "uid": "prometheus"}}
        ],
    }


def rendered() -> dict[Path, str]:
    """Every generated file and its text."""
    error_rate, objectives = load_slo()

    def rules(target: Target) -> str:
        document = alert_rules(error_rate, objectives, target)
        return HEADER + yaml.safe_dump(document, sort_keys=False, width=200)

    dashboard = json.dumps(slo_dashboard(error_rate, objectives), indent=2) + "\n"
    files = {RULES_FILE: rules(COMPOSE), DASHBOARD_FILE: dashboard}
    if CHART_DIR is not None:
        files[CHART_DIR / "files" / "slo.rules.yml"] = rules(KUBERNETES)
        for name in CHART_DASHBOARDS:
            copied = (
                dashboard if name == DASHBOARD_FILE.name else (DASHBOARDS_DIR / name).read_text()
            )
            files[CHART_DIR / "files" / "dashboards" / name] = copied
    return files


def problems() -> list[str]:
    """Every way the generated files or the histogram disagree with the SLO file."""
    found = []
    _, objectives = load_slo()
    for objective in objectives:
        if objective.seconds not in LATENCY_BUCKETS:
            found.append(
                f"{objective.operation} p{objective.quantile * 100:g}: {objective.seconds * 1000:g} ms "
                f"is not a bucket boundary of http_request_duration_seconds {LATENCY_BUCKETS}"
            )
    for path, text in rendered().items():
        if not path.exists() or path.read_text() != text:
            found.append(
                f"{path.relative_to(PROJECT_ROOT).as_posix()} does not match k6/slo.json and "
                "the dashboards: run `nox -s slo`"
            )
    return found


def write() -> list[Path]:
    written = []
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


class GateError(Exception):
    """Prometheus could not be asked, or refused a query (a bad --window, say)."""


def gate(
    prometheus: str, window: str, error_rate: float, objectives: list[Objective]
) -> list[Verdict]:
    """Each objective measured by the Prometheus at `prometheus` over the last `window`.

    An objective without requests in the window fails: a gate on no traffic proves nothing.
    """
    with httpx.Client(base_url=prometheus, timeout=30) as http:

        def measure(expr: str) -> float | None:
            try:
                response = http.get("/api/v1/query", params={"query": expr})
            except httpx.HTTPError as error:
                raise GateError(f"cannot reach Prometheus at {prometheus}: {error}") from error
            try:
                answer = response.json()
            except ValueError:
                answer = {"error": response.text.strip()[:200]}
            if response.status_code != 200 or answer.get("status") != "success":
                refusal = answer.get("error", f"HTTP {response.status_code}")
                raise GateError(f"Prometheus at {prometheus} refused {expr}: {refusal}")
            values = [float(series["value"][1]) for series in answer["data"]["result"]]
            # NaN: a ratio over no requests at all.
            return values[0] if values and values[0] == values[0] else None

        def verdict(operation: str, objective: str, share: float | None, passed: bool) -> Verdict:
            measured = "no requests" if share is None else f"{share:.2%}"
            return Verdict(operation, objective, measured, share is not None and passed)

        errors = measure(error_ratio(window))
        verdicts = [verdict("all", f"5xx <= {error_rate:.2%}", errors, (errors or 0) <= error_rate)]
        for objective in objectives:
            share = measure(objective.share_within(window))
            promise = f"{objective.quantile:.0%} within {objective.seconds * 1000:g} ms"
            verdicts.append(
                verdict(objective.operation, promise, share, (share or 0) >= objective.quantile)
            )
    return verdicts
