"""The SLO file (k6/slo.json) turned into Prometheus alert rules and a Grafana SLO dashboard.

`python -m stack slo` writes both; `--check` (run by `nox -s lint`) fails when they no longer
match the SLO file, or when an objective's latency is not a bucket boundary of the API's
histogram (Prometheus could then only estimate it).
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.utils import floatToGoString

from .package import LATENCY_BUCKETS
from .services import PROJECT_ROOT

SLO_FILE = PROJECT_ROOT / "k6" / "slo.json"
RULES_FILE = PROJECT_ROOT / "compose" / "prometheus" / "rules" / "slo.rules.yml"
DASHBOARD_FILE = PROJECT_ROOT / "compose" / "grafana" / "dashboards" / "slo.json"
HEADER = "# Generated from k6/slo.json by `nox -s slo`: edit the SLO file, not this one.\n"
WINDOW = "5m"
JOB = 'job="backend"'


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
    def share_within(self) -> str:
        """PromQL: the share of requests answered within the objective's latency."""
        bucket = f'http_request_duration_seconds_bucket{{{self.selector},le="{self.le}"}}'
        count = f"http_request_duration_seconds_count{{{self.selector}}}"
        return f"sum(rate({bucket}[{WINDOW}])) / sum(rate({count}[{WINDOW}]))"


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


def alert_rules(error_rate: float, objectives: list[Objective]) -> dict[str, Any]:
    availability = [
        _alert("ApiDown", f"up{{{JOB}}} == 0", "1m", "critical", "The API does not answer Prometheus' scrapes."),
        _alert("DatabaseDown", "pg_up == 0", "1m", "critical", "postgres-exporter cannot reach PostgreSQL."),
    ]  # fmt: skip
    slo = [
        _alert(
            "ErrorRateAboveObjective",
            f"{error_ratio()} > {error_rate}",
            "5m",
            "warning",
            f"More than {error_rate:.1%} of requests fail with a 5xx.",
        ),
        *(
            _alert(
                "LatencyObjectiveMissed",
                f"{objective.share_within} < {objective.quantile}",
                "5m",
                "warning",
                f"Fewer than {objective.quantile:.0%} of {objective.operation} requests "
                f"({objective.method} {objective.route}) answer within {objective.seconds * 1000:g} ms.",
                {"operation": objective.operation, "quantile": str(objective.quantile)},
            )
            for objective in objectives
        ),
    ]
    return {
        "groups": [{"name": "availability", "rules": availability}, {"name": "slo", "rules": slo}]
    }


def _alert(
    name: str,
    expr: str,
    for_: str,
    severity: str,
    summary: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {"summary": summary},
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
                objective.share_within.replace(WINDOW, "1m"),
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
    error_rate, objectives = load_slo()
    rules = HEADER + yaml.safe_dump(alert_rules(error_rate, objectives), sort_keys=False, width=200)
    dashboard = json.dumps(slo_dashboard(error_rate, objectives), indent=2) + "\n"
    return {RULES_FILE: rules, DASHBOARD_FILE: dashboard}


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
                f"{path.relative_to(PROJECT_ROOT)} does not match k6/slo.json: run `nox -s slo`"
            )
    return found


def write() -> list[Path]:
    written = []
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
