"""The one SLO file: alert rules and the SLO dashboard are generated from it and checked against
it, and its latencies must be bucket boundaries of the API's histogram."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from stack import alerting, slo
from stack.__main__ import main
from stack.processes import free_port
from stack.services import (
    ALERTMANAGER_CONFIG,
    PROJECT_ROOT,
    REPOSITORY_URL,
    prometheus_command,
)
from stack.tools import PROMTOOL

from .programs import require


def test_the_generated_files_match_the_slo_file() -> None:
    assert slo.problems() == []


def test_a_changed_objective_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed = json.loads(slo.SLO_FILE.read_text(encoding="utf-8"))
    changed["operations"]["create"]["p95_ms"] = 300  # not a bucket boundary, rules not regenerated
    slo_file = tmp_path / "slo.json"
    slo_file.write_text(json.dumps(changed), encoding="utf-8")
    monkeypatch.setattr(slo, "SLO_FILE", slo_file)

    found = slo.problems()

    assert any("create p95: 300 ms is not a bucket boundary" in problem for problem in found)
    assert any("slo.rules.yml does not match k6/slo.json" in problem for problem in found)


def test_each_objective_gets_a_burn_rate_alert_per_window_pair() -> None:
    error_rate, objectives = slo.load_slo()
    rules = slo.alert_rules(error_rate, objectives)
    alerts = [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]

    latency = {
        (rule["labels"]["operation"], rule["labels"]["quantile"], rule["labels"]["window"])
        for rule in alerts
        if rule["alert"] == "LatencyBudgetBurn"
    }
    windows = {burn.long for burn in slo.BURN_RATES}
    operations = json.loads(slo.SLO_FILE.read_text(encoding="utf-8"))["operations"]
    assert latency == {
        (operation, quantile, window)
        for operation in operations
        for quantile in ("0.95", "0.99")
        for window in windows
    }
    errors = [rule for rule in alerts if rule["alert"] == "ErrorBudgetBurn"]
    assert {rule["labels"]["window"] for rule in errors} == windows
    # 14.4 times a 1% budget, over the hour and the last five minutes.
    assert errors[0]["expr"] == (
        'slo:errors:ratio_rate1h{job="backend"} > 0.144'
        ' and slo:errors:ratio_rate5m{job="backend"} > 0.144'
    )


def test_every_alert_explains_itself_and_links_a_runbook_that_exists() -> None:
    runbooks = slo.RUNBOOKS_FILE.read_text(encoding="utf-8")
    sections = {
        line[3:].strip().lower() for line in runbooks.splitlines() if line.startswith("## ")
    }
    rules = slo.alert_rules(*slo.load_slo())
    alerts = [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]

    for alert in alerts:
        annotations = alert["annotations"]
        assert annotations["summary"]
        assert annotations["description"]
        page, anchor = annotations["runbook_url"].split("#")
        # A link a notification's reader can follow: the repository's page of the runbooks, on
        # its default branch whatever that is called (HEAD), not a `main` it may not have.
        assert page == f"{REPOSITORY_URL}/blob/HEAD/docs/runbooks.md"
        assert page.startswith("https://")
        assert anchor in sections, alert["alert"]


def test_every_recorded_ratio_is_one_a_burn_rate_alert_reads() -> None:
    rules = slo.alert_rules(*slo.load_slo())
    recorded = {
        rule["record"] for group in rules["groups"] for rule in group["rules"] if "record" in rule
    }
    read = " ".join(
        rule["expr"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule
    )

    ratios = {f"{name}{window}" for name in (slo.ERRORS, slo.SLOW) for window in slo.WINDOWS}
    assert recorded == ratios | {slo.PERIOD_ERRORS, slo.BUDGET_LEFT}
    assert all(record in read for record in ratios)


def test_the_long_windows_are_evaluated_apart_at_a_coarser_interval() -> None:
    groups = {group["name"]: group for group in slo.alert_rules(*slo.load_slo())["groups"]}

    long_group = groups["slo-ratios-long"]
    assert long_group["interval"] == slo.LONG_INTERVAL
    records = {rule["record"] for rule in long_group["rules"]}
    assert {f"{slo.ERRORS}1d", f"{slo.ERRORS}3d", slo.BUDGET_LEFT} <= records
    assert not {rule["record"] for rule in groups["slo-ratios"]["rules"]} & records


def test_the_burn_factors_follow_the_slo_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workbook's factors are for 30 days; over 28, 2 % of the budget in an hour is 13.44x.
    changed = json.loads(slo.SLO_FILE.read_text(encoding="utf-8")) | {"period_days": 28}
    slo_file = tmp_path / "slo.json"
    slo_file.write_text(json.dumps(changed), encoding="utf-8")
    monkeypatch.setattr(slo, "SLO_FILE", slo_file)

    alerts = [
        rule for group in slo.alert_rules(*slo.load_slo())["groups"]
        for rule in group["rules"] if rule.get("alert") == "ErrorBudgetBurn"
    ]  # fmt: skip
    assert alerts[0]["expr"].endswith("> 0.1344")
    budget = next(
        rule for group in slo.alert_rules(*slo.load_slo())["groups"]
        for rule in group["rules"] if rule.get("record") == slo.PERIOD_ERRORS
    )  # fmt: skip
    assert "[28d]" in budget["expr"]


def test_prometheus_keeps_the_whole_slo_period() -> None:
    # The period's error ratio reads [<period>d] of data: with Prometheus' default 15 days, the
    # budget left would be a fortnight's.
    compose = yaml.safe_load((PROJECT_ROOT / "compose" / "compose.yaml").read_text("utf-8"))
    for command in (prometheus_command(9090, {}), compose["services"]["prometheus"]["command"]):
        (retention,) = [arg for arg in command if arg.startswith("--storage.tsdb.retention.time=")]
        assert retention.endswith("d")
        assert int(retention.split("=")[1][:-1]) >= slo.period_days() + 3


def test_the_gate_says_when_prometheus_cannot_be_asked(capsys: pytest.CaptureFixture[str]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    code = main(["slo", "--gate", nowhere])

    assert code == 1
    assert f"slo --gate failed: cannot reach Prometheus at {nowhere}" in capsys.readouterr().err


def promtool_test(tests: list[dict[str, Any]], rules: dict[str, str], workdir: Path) -> None:
    """`promtool test rules` on these rule files (name: text) and tests; fails with its report."""
    [promtool] = require(PROMTOOL)
    for name, text in rules.items():
        (workdir / name).write_text(text, encoding="utf-8")
    document = {"rule_files": list(rules), "evaluation_interval": "1m", "tests": tests}
    test_file = workdir / "test.yml"
    test_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [promtool, "test", "rules", test_file.name],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def requests_of(
    job: str, namespace: str, errors_per_minute: int, ok_per_minute: int
) -> list[dict[str, str]]:
    where = f'job="{job}",namespace="{namespace}",method="GET",route="/items"'
    return [
        {"series": f'http_requests_total{{{where},status_code="500"}}',
         "values": f"0+{errors_per_minute}x30"},
        {"series": f'http_requests_total{{{where},status_code="200"}}',
         "values": f"0+{ok_per_minute}x30"},
        {"series": f'up{{job="{job}",namespace="{namespace}",instance="{job}-0"}}',
         "values": "1x30"},
    ]  # fmt: skip


def test_two_releases_in_one_prometheus_alert_independently(tmp_path: Path) -> None:
    # prod fails half its requests while a busier staging is healthy: merged, they would read
    # 25 %; each release's rules (the chart's, scoped as its PrometheusRule scopes them) see only
    # their own.
    generated = slo.alert_rules(*slo.load_slo(), slo.KUBERNETES)
    chart_rules = yaml.safe_dump(generated, width=200)
    releases = {"prod": "items-prod", "staging": "items-staging"}
    rules = {
        f"{namespace}.yml": slo.for_release(chart_rules, job, namespace, f"{job}-db")
        for namespace, job in releases.items()
    }
    burning = [
        {"exp_labels": rule["labels"] | {"job": "items-prod", "namespace": "prod"},
         "exp_annotations": rule["annotations"]}
        for group in generated["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "ErrorBudgetBurn"
    ]  # fmt: skip
    test = {
        "interval": "1m",
        "input_series": requests_of("items-prod", "prod", 50, 50)
        + requests_of("items-staging", "staging", 0, 300),
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "ErrorBudgetBurn", "exp_alerts": burning},
            {"eval_time": "20m", "alertname": "ApiDown", "exp_alerts": []},
        ],
    }

    promtool_test([test], rules, tmp_path)


def chart_alerts(name: str) -> list[dict[str, Any]]:
    """The chart's alert rules of that name, as generated (before a release's values)."""
    generated = slo.alert_rules(*slo.load_slo(), slo.KUBERNETES)
    return [
        rule for group in generated["groups"] for rule in group["rules"]
        if rule.get("alert") == name
    ]  # fmt: skip


def chart_rules_for(job: str, namespace: str, cluster: str) -> dict[str, str]:
    generated = slo.alert_rules(*slo.load_slo(), slo.KUBERNETES)
    return {f"{namespace}.yml": slo.for_release(yaml.safe_dump(generated), job, namespace, cluster)}


def test_database_down_on_cloudnativepg_fires_when_no_instance_reaches_postgres(
    tmp_path: Path,
) -> None:
    [database_down] = chart_alerts("DatabaseDown")
    fired = [
        {"exp_labels": database_down["labels"]
         | {"job": "items", "namespace": "prod", "cluster": "items-db"},
         "exp_annotations": database_down["annotations"]},
    ]  # fmt: skip
    instance = 'cnpg_collector_up{cluster="items-db",namespace="prod",pod="items-db-%d"}'
    test = {
        "interval": "1m",
        # One instance of two stops reaching PostgreSQL (a failover's business), then both do.
        "input_series": [
            {"series": instance % 1, "values": "1x4 0x16"},
            {"series": instance % 2, "values": "1x8 0x12"},
        ],
        "alert_rule_test": [
            {"eval_time": "7m", "alertname": "DatabaseDown", "exp_alerts": []},
            {"eval_time": "20m", "alertname": "DatabaseDown", "exp_alerts": fired},
        ],
    }

    promtool_test([test], chart_rules_for("items", "prod", "items-db"), tmp_path)


def matches(matcher: str, labels: dict[str, str]) -> bool:
    """Whether an Alertmanager matcher (`name="v"`, `=~`, `!=`, `!~`) selects these labels."""
    parsed = re.fullmatch(r'(\w+)\s*(=~|!~|!=|=)\s*"(.*)"', matcher)
    assert parsed, matcher
    name, operator, quoted = parsed.groups()
    value = labels.get(name, "")
    found = re.fullmatch(quoted, value) is not None if "~" in operator else quoted == value
    return found != operator.startswith("!")


def test_cloudnativepg_metrics_absent_warns_without_muting_the_burn_alerts(
    tmp_path: Path,
) -> None:
    # The PodMonitor is not selected (or the cluster's name is wrong): no cnpg series at all
    # while the API fails half its requests. That must be a ticket of its own, and the burn
    # alerts must still page: were it an inhibition source, they would be muted for as long as
    # the metrics are missing.
    [absent] = chart_alerts("DatabaseMetricsAbsent")
    burning = [
        {"exp_labels": rule["labels"] | {"job": "items", "namespace": "prod"},
         "exp_annotations": rule["annotations"]}
        for rule in chart_alerts("ErrorBudgetBurn")
    ]  # fmt: skip
    warned = [
        {"exp_labels": absent["labels"]
         | {"job": "items", "namespace": "prod", "cluster": "items-db"},
         "exp_annotations": absent["annotations"]},
    ]  # fmt: skip
    test = {
        "interval": "1m",
        "input_series": requests_of("items", "prod", 50, 50),
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "DatabaseDown", "exp_alerts": []},
            {"eval_time": "20m", "alertname": "DatabaseMetricsAbsent", "exp_alerts": warned},
            {"eval_time": "20m", "alertname": "ErrorBudgetBurn", "exp_alerts": burning},
        ],
    }
    promtool_test([test], chart_rules_for("items", "prod", "items-db"), tmp_path)

    labels = {"alertname": "DatabaseMetricsAbsent", **warned[0]["exp_labels"]}
    inhibit_rules = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))["inhibit_rules"]
    sources = [rule["source_matchers"] for rule in inhibit_rules]
    assert sources  # the inhibitions are there, and none takes this alert as its source
    assert not [source for source in sources if all(matches(m, labels) for m in source)]


def test_slo_check_fails_in_ci_while_alerts_reach_nobody(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")

    assert main(["slo", "--check"]) == 1
    assert "Alerts reach nobody: the `page` and `ticket` receivers" in capsys.readouterr().err
    assert main(["slo", "--check", "--receivers-optional"]) == 0
    assert "Alerts reach nobody" in capsys.readouterr().err  # allowed, and still said

    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    for receiver in config["receivers"]:
        receiver["webhook_configs"] = [{"url": "https://alerts.example.com/hooks/items"}]
    delivering = tmp_path / "alertmanager.yml"
    delivering.write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setattr(alerting, "ALERTMANAGER_CONFIG", delivering)

    assert main(["slo", "--check"]) == 0
    assert "Alerts reach nobody" not in capsys.readouterr().err


def test_fast_server_errors_do_not_count_as_within_latency(tmp_path: Path) -> None:
    # Each minute, 50 list requests fail fast with a 500; of the 50 answered, 10 take a second.
    # Counted as fast, the errors would halve the slow share to 10 % (under the p99's fast-burn
    # threshold, 14.4 %); of the answered requests, 20 % are slow.
    generated = slo.alert_rules(*slo.load_slo())
    where = 'job="backend",method="GET",route="/items"'
    answered = {"0.25": 40, "0.5": 40, "+Inf": 50}
    series = [
        {"series": f'http_request_duration_seconds_bucket{{{where},status_class="{cls}",le="{le}"}}',
         "values": f"0+{count}x30"}
        for cls, buckets in (("5xx", dict.fromkeys(answered, 50)), ("2xx", answered))
        for le, count in buckets.items()
    ] + [
        {"series": f'http_request_duration_seconds_count{{{where},status_class="{cls}"}}',
         "values": "0+50x30"}
        for cls in ("5xx", "2xx")
    ]  # fmt: skip
    # 20 % slow burns the p99 budget (1 %) past every window's factor, the p95 budget (5 %) past
    # the slow windows' (3x, 1x) only.
    burning = {("0.99", window) for window in ("1h", "6h", "1d", "3d")} | {
        ("0.95", "1d"),
        ("0.95", "3d"),
    }
    expected = [
        {"exp_labels": rule["labels"] | {"job": "backend"}, "exp_annotations": rule["annotations"]}
        for group in generated["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "LatencyBudgetBurn"
        and rule["labels"]["operation"] == "list"
        and (rule["labels"]["quantile"], rule["labels"]["window"]) in burning
    ]
    test = {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "LatencyBudgetBurn", "exp_alerts": expected}
        ],
    }

    promtool_test([test], {"slo.rules.yml": yaml.safe_dump(generated)}, tmp_path)


def test_the_error_budget_left_is_recorded_per_deployment(tmp_path: Path) -> None:
    # Half the allowed share of 5xx (0.5 % of a 1 % budget) for an hour: half the budget left.
    generated = slo.alert_rules(*slo.load_slo())
    where = 'job="backend",method="GET",route="/items"'
    test = {
        "interval": "1m",
        "input_series": [
            {"series": f'http_requests_total{{{where},status_code="500"}}', "values": "0+1x60"},
            {"series": f'http_requests_total{{{where},status_code="200"}}', "values": "0+199x60"},
        ],
        "promql_expr_test": [
            {
                "expr": f"round({slo.BUDGET_LEFT}, 0.001)",  # this promtool compares exactly
                "eval_time": "60m",
                "exp_samples": [{"labels": '{job="backend"}', "value": 0.5}],
            }
        ],
    }

    promtool_test([test], {"slo.rules.yml": yaml.safe_dump(generated)}, tmp_path)
