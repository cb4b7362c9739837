"""The one SLO file: alert rules and the SLO dashboard are generated from it and checked against
it, and its latencies must be bucket boundaries of the API's histogram."""

import json
from pathlib import Path

import pytest
from stack import slo


def test_the_generated_files_match_the_slo_file() -> None:
    assert slo.problems() == []


def test_a_changed_objective_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed = json.loads(slo.SLO_FILE.read_text())
    changed["operations"]["create"]["p95_ms"] = 300  # not a bucket boundary, rules not regenerated
    slo_file = tmp_path / "slo.json"
    slo_file.write_text(json.dumps(changed))
    monkeypatch.setattr(slo, "SLO_FILE", slo_file)

    found = slo.problems()

    assert any("create p95: 300 ms is not a bucket boundary" in problem for problem in found)
    assert any("slo.rules.yml does not match k6/slo.json" in problem for problem in found)


def test_each_operation_gets_a_latency_alert_per_quantile() -> None:
    error_rate, objectives = slo.load_slo()
    rules = slo.alert_rules(error_rate, objectives)

    latency = [
        rule["labels"]
        for group in rules["groups"]
        for rule in group["rules"]
        if rule["alert"] == "LatencyObjectiveMissed"
    ]
    operations = json.loads(slo.SLO_FILE.read_text())["operations"]
    assert {(labels["operation"], labels["quantile"]) for labels in latency} == {
        (operation, quantile) for operation in operations for quantile in ("0.95", "0.99")
    }
