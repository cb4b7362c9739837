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

from .package import LATENCY_BUCKETS
from .services import CHART_DIR, PROJECT_ROOT, REPOSITORY_URL
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
# The labels that tell one deployment of the service from another: its scrape job (Compose and
# native `up`: "backend"; Kubernetes: the release's Service, one job per release) and, on
# Kubernetes, its namespace. Every ratio is kept per identity, so two releases (staging and prod,
# or two services from this template) in one Prometheus never merge into one SLI.
IDENTITY = "namespace, job"
# In the chart's rules, placeholders its PrometheusRule replaces with the release's own values
# (templates/prometheusrule.yaml): the file stays plain PromQL that promtool checks.
RELEASE_JOB = "${RELEASE_JOB}"
RELEASE_NAMESPACE = "${RELEASE_NAMESPACE}"
CNPG_CLUSTER = "${CNPG_CLUSTER}"
RELEASE_UID = "${RELEASE_UID}"  # a dashboard uid's release part: Grafana allows 40 characters


@dataclass(frozen=True)
class Target:
    """Where the rules run: which series are the API's, and what tells them PostgreSQL is down."""

    api: str  # label matchers of the API's own series
    job: str  # the API's scrape job: DatabaseDown carries it, so it mutes this API's alerts only
    database_down: str
    database_down_summary: str
    # PromQL: the database's metrics are missing altogether (None where that is normal). Its own
    # alert, never an inhibition source: a PodMonitor nobody selects must not mute the budget
    # alerts for as long as it goes unnoticed.
    database_absent: str | None = None


COMPOSE = Target(
    'job="backend"',
    "backend",
    # No absent(): native `up` without postgres-exporter has no pg_up at all.
    "max by (namespace) (pg_up) == 0",
    "postgres-exporter cannot reach PostgreSQL.",
)
# CloudNativePG's exporter, in each instance of the cluster (deploy/cnpg/cluster.yaml). No
# series at all (every pod gone, or the PodMonitor not selected) is DatabaseMetricsAbsent.
_CNPG = f'cnpg_collector_up{{cluster="{CNPG_CLUSTER}",namespace="{RELEASE_NAMESPACE}"}}'
KUBERNETES = Target(
    f'job="{RELEASE_JOB}",namespace="{RELEASE_NAMESPACE}"',
    RELEASE_JOB,
    f"max by (namespace, cluster) ({_CNPG}) == 0",
    "No instance of the CloudNativePG cluster reaches PostgreSQL.",
    f"absent({_CNPG})",
)


def for_release(rules: str, job: str, namespace: str, cluster: str) -> str:
    """The chart's rules as one release gets them: what its PrometheusRule's `replace` does."""
    return (
        rules.replace(RELEASE_JOB, job)
        .replace(RELEASE_NAMESPACE, namespace)
        .replace(CNPG_CLUSTER, cluster)
    )


@dataclass(frozen=True)
class Objective:
    operation: str
    method: str
    route: str
    quantile: float  # 0.95
    seconds: float  # 0.25

    def selector(self, api: str) -> str:
        return f'{api},method="{self.method}",route="{self.route}"'

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

    def share_within(self, window: str = WINDOW, api: str = COMPOSE.api) -> str:
        """PromQL: the share of requests answered within the objective's latency, per identity.

        Server errors are left out: a 5xx answered fast met no latency objective, and it is the
        error SLI's already."""
        selector = f'{self.selector(api)},status_class!="5xx"'
        bucket = f'http_request_duration_seconds_bucket{{{selector},le="{self.le}"}}'
        count = f"http_request_duration_seconds_count{{{selector}}}"
        return (
            f"sum by ({IDENTITY}) (rate({bucket}[{window}]))"
            f" / sum by ({IDENTITY}) (rate({count}[{window}]))"
        )


def load_slo() -> tuple[float, list[Objective]]:
    slo = json.loads(SLO_FILE.read_text(encoding="utf-8"))
    objectives = [
        Objective(name, op["method"], op["route"], quantile, op[key] / 1000)
        for name, op in slo["operations"].items()
        for quantile, key in ((0.95, "p95_ms"), (0.99, "p99_ms"))
    ]
    return float(slo["error_rate"]), objectives


# Requests that are not the users': probes (/health/*), scrapes (/metrics: on the metrics port
# now, never measured; the API's port answers a stale scrape config as `unmatched`) and paths no
# route matched (scanners, typos). Counted as good traffic they dilute the error ratio:
# three pods' probes beside 1 req/s of users failing 20 % would read 10.5 %, under the fast page.
NOT_USERS = 'route!~"/health/.*|/metrics|unmatched"'


def error_ratio(window: str = WINDOW, api: str = COMPOSE.api) -> str:
    """PromQL: the share of the users' requests answered with a 5xx, per identity."""
    users = f"{api},{NOT_USERS}"
    errors = (
        f'sum by ({IDENTITY}) (rate(http_requests_total{{{users},status_code=~"5.."}}[{window}]))'
    )
    requests = f"sum by ({IDENTITY}) (rate(http_requests_total{{{users}}}[{window}]))"
    # An identity without a 5xx series yet has a ratio of 0, not none (`or vector(0)` would add
    # one unlabelled 0 that matches no identity's denominator).
    return f"({errors} or 0 * {requests}) / {requests}"


HOURS = {"h": 1, "d": 24}


@dataclass(frozen=True)
class BurnRate:
    """A multiwindow burn-rate alert (the SRE workbook, chapter 5): `spent` of the period's
    error budget gone over `long` (the budget burning `factor` times faster than the objective
    allows), and still burning over `short` (which also ends the alert soon after it stops)."""

    spent: float  # the share of the period's budget
    long: str
    short: str
    severity: str  # critical pages someone; warning opens a ticket

    def factor(self, period_days: int) -> float:
        window_hours = int(self.long[:-1]) * HOURS[self.long[-1]]
        return round(self.spent * period_days * 24 / window_hours, 6)


# The workbook's pairs: 2 % of the budget gone in an hour or 5 % in six pages; 10 % in a day or
# in three days opens a ticket. Over 30 days, factors of 14.4, 6, 3 and 1.
BURN_RATES = (
    BurnRate(0.02, "1h", "5m", "critical"),
    BurnRate(0.05, "6h", "30m", "critical"),
    BurnRate(0.1, "1d", "2h", "warning"),
    BurnRate(0.1, "3d", "6h", "warning"),
)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# The long windows' ratios change slowly and cost the most to compute: their own rule group,
# evaluated at a coarser interval (as Pyrra does).
LONG_WINDOWS = ("1d", "3d")
LONG_INTERVAL = "1m"
PERIOD_ERRORS = "slo:errors:period_ratio"  # the share of 5xx over the SLO period
BUDGET_LEFT = "slo:error_budget:remaining_ratio"  # 1 - spent / allowed, over the SLO period
ERRORS = "slo:errors:ratio_rate"  # + a window: the share of requests that failed with a 5xx
SLOW = "slo:slow_requests:ratio_rate"  # + a window, per objective: the share slower than it
RUNBOOKS_FILE = PROJECT_ROOT / "docs" / "runbooks.md"
# What runbook_url links: a page a notification's reader can open, on the repository's web site,
# not a path that means something only inside a checkout. HEAD is the default branch on GitHub
# and GitLab, whatever its name (a repository without `main` would link a 404).
RUNBOOKS = f"{REPOSITORY_URL}/blob/HEAD/{RUNBOOKS_FILE.relative_to(PROJECT_ROOT).as_posix()}"
# What each alert means and where to look first; docs/runbooks.md says more.
DESCRIPTIONS = {
    "ApiDown": "No scrape of any replica of the API has succeeded for a minute, or Prometheus "
    "has no target for it at all: its processes are down, restarting, not listening, or not "
    "discovered. Read its logs first.",
    "Watchdog": "Always firing, on purpose: it proves Prometheus evaluates the rules and "
    "Alertmanager delivers. Route it to a dead man's switch that raises the alarm when it stops.",
    "LogsDropped": "Log records are not reaching OpenSearch (log_records_dropped_total, by "
    "reason): OpenSearch down, slow, refusing documents, or the queue overflowing. Requests are "
    "not affected; what is dropped is lost to search but still on stdout.",
    "DatabaseDown": "The API's requests that touch the database fail with 503 while this "
    "lasts. Check that PostgreSQL runs and accepts connections.",
    "DatabaseMetricsAbsent": "Prometheus has no CloudNativePG exporter series for the "
    "database: its PodMonitor is not selected by Prometheus, the cluster's name in values is "
    "wrong, or no instance is left. DatabaseDown cannot fire until this is fixed.",
    "ErrorBudgetBurn": "Requests fail with a 5xx faster than k6/slo.json allows. The API's "
    "error log and its dashboard's exceptions panel name the failing routes.",
    "LatencyBudgetBurn": "Requests of one operation are slower than its objective too often. "
    "Look at the database's load and the API's CPU before the code.",
}


def period_days() -> int:
    """The SLO period of k6/slo.json (30 days unless it says): what the budget is spent over."""
    return int(json.loads(SLO_FILE.read_text(encoding="utf-8")).get("period_days", 30))


def recording_rules(
    objectives: list[Objective], api: str, windows: tuple[str, ...] = WINDOWS
) -> list[dict[str, Any]]:
    """The ratios every burn-rate alert compares, once per window."""
    rules: list[dict[str, Any]] = [
        {"record": f"{ERRORS}{window}", "expr": error_ratio(window, api)} for window in windows
    ]
    for objective in objectives:
        rules += [
            {
                "record": f"{SLOW}{window}",
                "expr": f"1 - ({objective.share_within(window, api)})",
                "labels": objective.labels,
            }
            for window in windows
        ]
    return rules


def budget_rules(error_rate: float, api: str, days: int) -> list[dict[str, Any]]:
    """The period's error ratio and the share of its budget left, as Sloth records them: the
    5-minute ratios averaged over the period (cheaper than a rate over it)."""
    return [
        {"record": PERIOD_ERRORS, "expr": f"avg_over_time({ERRORS}5m{{{api}}}[{days}d])"},
        {"record": BUDGET_LEFT, "expr": f"1 - {PERIOD_ERRORS}{{{api}}} / {error_rate:g}"},
    ]


def _burning(record: str, burn: BurnRate, budget: float, matchers: str, days: int) -> str:
    """PromQL: the recorded ratio over both windows above the burn's threshold. `matchers` pick
    this deployment's ratios: another release's rules record theirs under the same name."""
    threshold = f"{round(burn.factor(days) * budget, 6):g}"
    long, short = f"{record}{burn.long}{{{matchers}}}", f"{record}{burn.short}{{{matchers}}}"
    return f"{long} > {threshold} and {short} > {threshold}"


def alert_rules(
    error_rate: float, objectives: list[Objective], target: Target = COMPOSE
) -> dict[str, Any]:
    # Down is every replica down (one of three is the orchestrator's to replace), or the target
    # gone from Prometheus altogether (absent(): no `up` series left to be 0).
    api_down = f"max by ({IDENTITY}) (up{{{target.api}}}) == 0 or absent(up{{{target.api}}})"
    logs_dropped = f"sum by ({IDENTITY}) (rate(log_records_dropped_total{{{target.api}}}[15m])) > 0"
    availability = [
        _alert("ApiDown", api_down, "1m", "critical", "No replica of the API answers Prometheus' scrapes."),
        _alert("DatabaseDown", target.database_down, "1m", "critical", target.database_down_summary,
               {"job": target.job}),
        _alert("Watchdog", "vector(1)", None, "none", "The alerting pipeline works.",
               {"job": target.job}),
        _alert("LogsDropped", logs_dropped, "5m", "warning", "Log records are being dropped instead of shipped."),
    ]  # fmt: skip
    if target.database_absent is not None:
        availability.append(
            _alert("DatabaseMetricsAbsent", target.database_absent, "10m", "warning",
                   "Prometheus has no metrics of the database.", {"job": target.job})
        )  # fmt: skip
    burns = []
    days = period_days()
    for burn in BURN_RATES:
        spent = (
            f"{burn.factor(days):g}x the error budget over {burn.long} (and still over "
            f"{burn.short})"
        )
        burns.append(
            _alert(
                "ErrorBudgetBurn",
                _burning(ERRORS, burn, error_rate, target.api, days),
                None,
                burn.severity,
                f"5xx responses are spending {spent}.",
                {"window": burn.long},
            )
        )
        for objective in objectives:
            selector = ",".join([target.api, *(f'{k}="{v}"' for k, v in objective.labels.items())])
            burns.append(
                _alert(
                    "LatencyBudgetBurn",
                    _burning(SLOW, burn, objective.budget, selector, days),
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
            {
                "name": "slo-ratios",
                "rules": recording_rules(
                    objectives, target.api, tuple(w for w in WINDOWS if w not in LONG_WINDOWS)
                ),
            },
            {
                "name": "slo-ratios-long",
                "interval": LONG_INTERVAL,
                "rules": recording_rules(objectives, target.api, LONG_WINDOWS)
                + budget_rules(error_rate, target.api, days),
            },
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


# What every panel selects: the deployment the dashboard's variables pick (Compose: job backend,
# no namespace; the chart's copies are pinned to their release).
DASHBOARD_API = 'job="$job",namespace=~"$namespace"'
# Grafana's range for rate(): at least four scrape intervals, whatever the zoom, so a rate never
# rests on one or two samples (a 1m range over a 30s scrape would).
RATE_RANGE = "$__rate_interval"


def _variable(name: str, query: str, include_all: bool) -> dict[str, Any]:
    variable: dict[str, Any] = {
        "name": name,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "query": {"query": query, "refId": name},
        "refresh": 2,  # on time range change: a new release shows up
        "includeAll": include_all,
    }
    # "All" namespaces also matches series without one (Compose, native `up`).
    return variable | ({"allValue": ".*"} if include_all else {})


# Pick a deployment: a scrape job of the API, and its namespace on Kubernetes.
DASHBOARD_VARIABLES = [
    _variable("job", "label_values(http_requests_total, job)", include_all=False),
    _variable(
        "namespace", 'label_values(http_requests_total{job="$job"}, namespace)', include_all=True
    ),
]


def for_chart(dashboard: dict[str, Any]) -> dict[str, Any]:
    """A dashboard as the chart ships it: one per release (its own uid and title), its variables
    pinned to the release's job and namespace. templates/dashboards.yaml fills the placeholders."""
    pinned = [
        {"name": "job", "type": "constant", "query": RELEASE_JOB, "hide": 2},
        {"name": "namespace", "type": "constant", "query": RELEASE_NAMESPACE, "hide": 2},
    ]
    return dashboard | {
        "uid": f"{dashboard['uid']}-{RELEASE_UID}",
        "title": f"{dashboard['title']} ({RELEASE_NAMESPACE}/{RELEASE_JOB})",
        "templating": {"list": pinned},
    }


def slo_dashboard(error_rate: float, objectives: list[Objective]) -> dict[str, Any]:
    panels = [
        _panel(
            f"Error ratio (objective: below {error_rate:.1%})",
            error_ratio(RATE_RANGE, DASHBOARD_API),
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
                objective.share_within(RATE_RANGE, DASHBOARD_API),
                "percentunit",
                objective.quantile,
                index,
            )
        )
    panels += budget_panels(error_rate, len(panels))
    return {
        "uid": "slo",
        "title": "Service-level objectives",
        "description": "Generated from k6/slo.json by `nox -s slo`.",
        "tags": ["slo"],
        "schemaVersion": 39,
        "time": {"from": "now-30m", "to": "now"},
        "refresh": "10s",
        "templating": {"list": DASHBOARD_VARIABLES},
        "panels": panels,
    }


def budget_panels(error_rate: float, index: int) -> list[dict[str, Any]]:
    """The error budget left over the SLO period, and how fast each alert's windows burn it
    (1 is the pace that spends it exactly by the period's end). Both read the 5-minute and
    short-window ratios the rules record every evaluation."""
    days = period_days()
    left = _panel(
        f"Error budget left over {days} days",
        f"1 - avg_over_time({ERRORS}5m{{{DASHBOARD_API}}}[{days}d]) / {error_rate:g}",
        "percentunit",
        0,
        index,
    )
    burn = _panel(
        "Error budget burn rate, per alert window (1: spent exactly by the period's end)",
        "",
        "short",
        1,
        index + 1,
    )
    windows = [w for w in WINDOWS if w not in LONG_WINDOWS]
    burn["targets"] = [
        {
            "refId": chr(ord("A") + n),
            "expr": f"{ERRORS}{window}{{{DASHBOARD_API}}} / {error_rate:g}",
            "legendFormat": window,
            "datasource": {"type": "prometheus", "uid": "prometheus"},
        }
        for n, window in enumerate(windows)
    ]
    return [left, burn]


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
            source = (
                dashboard
                if name == DASHBOARD_FILE.name
                else (DASHBOARDS_DIR / name).read_text(encoding="utf-8")
            )
            copied = for_chart(json.loads(source))
            files[CHART_DIR / "files" / "dashboards" / name] = json.dumps(copied, indent=2) + "\n"
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
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            found.append(
                f"{path.relative_to(PROJECT_ROOT).as_posix()} does not match k6/slo.json and "
                "the dashboards: run `nox -s slo`"
            )
    return found


def write() -> list[Path]:
    written = []
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


class GateError(Exception):
    """Prometheus could not be asked, or refused a query (a bad --window, say)."""


def deployment(job: str, namespace: str | None = None) -> str:
    """Label matchers of one deployment's API series: its scrape job, and namespace if given."""
    matchers = {"job": job} | ({"namespace": namespace} if namespace else {})
    return ",".join(f"{label}={json.dumps(value)}" for label, value in matchers.items())


def gate(
    prometheus: str,
    window: str,
    error_rate: float,
    objectives: list[Objective],
    api: str = COMPOSE.api,
) -> list[Verdict]:
    """Each objective measured by the Prometheus at `prometheus` over the last `window`, on the
    series `api` selects (one deployment: `deployment()`).

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

        errors = measure(error_ratio(window, api))
        verdicts = [verdict("all", f"5xx <= {error_rate:.2%}", errors, (errors or 0) <= error_rate)]
        for objective in objectives:
            share = measure(objective.share_within(window, api))
            promise = f"{objective.quantile:.0%} within {objective.seconds * 1000:g} ms"
            verdicts.append(
                verdict(objective.operation, promise, share, (share or 0) >= objective.quantile)
            )
    return verdicts
