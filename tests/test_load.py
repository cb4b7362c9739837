"""`nox -s load` holds the service to k6/slo.json: it passes on the service as rendered and fails,
saying so, when an objective cannot be met."""

import json
import subprocess
from pathlib import Path

import pytest

from .rendering import (
    BACKEND_ONLY,
    BACKENDS,
    Combination,
    Renders,
    generous_objectives,
    render_env,
    run_nox,
)


def run_load(project: Path) -> subprocess.CompletedProcess[str]:
    # Nothing answers on these ports: a private API for the run, and no result streaming.
    env = render_env(API_BASE="http://127.0.0.1:9", PROMETHEUS_PORT="9")
    return run_nox(project, "-s", "load", "--", "--quick", "crud", env=env)


@pytest.mark.backend_only
@pytest.mark.parametrize("combination", BACKENDS)  # auth=oidc: k6 sends the tools client's token
def test_load_passes_and_reports_each_objective(
    renders: Renders, workspace: Path, combination: Combination
) -> None:
    project = renders.copy(combination, workspace / "service")
    generous_objectives(project)

    result = run_load(project)

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "Every objective held." in result.stdout
    report = json.loads((project / "reports" / "k6-crud.json").read_text(encoding="utf-8"))
    operations = {"create", "get", "update", "delete", "list"}
    assert {f"http_req_duration{{name:{op}}}" for op in operations} <= set(report["metrics"])
    for operation in operations:
        assert f"{operation} " in result.stdout  # a row of the table


@pytest.mark.backend_only
def test_an_impossible_objective_fails_the_session(renders: Renders, workspace: Path) -> None:
    project = renders.copy(BACKEND_ONLY, workspace / "service")
    slo_file = project / "k6" / "slo.json"
    slo = json.loads(slo_file.read_text(encoding="utf-8"))
    slo["operations"]["create"]["p95_ms"] = 0.001
    slo_file.write_text(json.dumps(slo), encoding="utf-8")

    result = run_load(project)

    assert result.returncode == 1, result.stdout[-5000:] + result.stderr[-5000:]
    assert "SLO breached in: crud" in result.stdout
    assert any(
        line.split()[:2] == ["create", "p(95)<0.001"] and line.split()[-1] == "FAIL"
        for line in result.stdout.splitlines()
    )
