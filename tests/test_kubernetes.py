"""The Helm chart behind `with_kubernetes`: the render's `nox -s lint` fails on the bugs that
break an install, the template's workflow installs it the way the render's own workflow does,
and a service without it carries none of it."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .rendering import BACKEND_ONLY, DEFAULTS, ROOT, Renders, plant, run_nox

WORKFLOWS = ROOT / "template" / ".github" / "workflows"
RENDERED_WORKFLOW = WORKFLOWS / "{% if with_kubernetes %}kubernetes.yml{% endif %}"
TEMPLATE_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CHART = "deploy/helm/items-service"
# The workflows' shared settings: the cluster's name and the operators' pinned releases.
MANIFESTS = ("CLUSTER", "CNPG_MANIFEST", "K6_OPERATOR_BUNDLE")
# An action pinned to a commit, the tag it is in a comment: `uses: owner/name@<sha> # v1.2.3`.
PINNED = re.compile(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


# A Secret the chart would create, for the migration hook to read its settings from.
PLANTED_OBJECT = """apiVersion: v1
kind: Secret
metadata:
  name: {{ include "service.fullname" . }}-migrations
stringData:
  LOG_LEVEL: DEBUG
---
"""


@pytest.mark.defaults
@pytest.mark.parametrize(
    ("path", "plants", "hook", "message"),
    [
        pytest.param(
            f"{CHART}/templates/deployment.yaml",
            [("httpGet: {path: /health/ready, port: http}", "httpGet: {path: /ready, port: http}")],
            "chart",
            "container api: readinessProbe asks /ready, not the API's ready route /health/ready",
            id="probe-on-a-missing-route",
        ),
        pytest.param(
            f"{CHART}/templates/migrations-job.yaml",
            [
                (
                    '{{- include "service.hookJob"',
                    PLANTED_OBJECT + '{{ include "service.hookJob"',
                ),
                (
                    '"env" $env) }}',
                    '"env" $env "envFrom" (list (dict "secretRef" (dict "name" (printf'
                    ' "%s-migrations" (include "service.fullname" .)))))) }}',
                ),
            ],
            "chart",
            "Job/items-service-migrations: the pre-install hook needs Secret/items-service-migrations,"
            " which the chart creates only after its hooks succeed",
            id="hook-needs-a-chart-created-secret",
        ),
        pytest.param(
            f"{CHART}/files/slo.rules.yml",
            [("} > 0.144", "} > 0.2")],
            "slo-sync",
            f"{CHART}/files/slo.rules.yml does not match k6/slo.json",
            id="rule-drifts-from-the-slo-file",
        ),
    ],
)
def test_lint_fails_on_a_chart_bug_that_breaks_production(
    renders: Renders,
    workspace: Path,
    path: str,
    plants: list[tuple[str, str]],
    hook: str,
    message: str,
) -> None:
    project = renders.copy(DEFAULTS, workspace / "service")
    for old, new in plants:
        plant(project, path, old, new)

    result = run_nox(project, "-s", "lint", "--", hook)

    assert result.returncode == 1, result.stdout[-5000:] + result.stderr[-5000:]
    assert message in result.stdout + result.stderr


def run_steps(job: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(step.get("name"), step["run"]) for step in job["steps"] if "run" in step]


def test_the_template_installs_the_chart_with_the_renders_own_steps() -> None:
    rendered = yaml.safe_load(RENDERED_WORKFLOW.read_text(encoding="utf-8"))["jobs"]["kubernetes"]
    template = yaml.safe_load(TEMPLATE_WORKFLOW.read_text(encoding="utf-8"))["jobs"]["kubernetes"]
    setup = [step["uses"] for step in rendered["steps"] if "uses" in step][:-1]  # not the upload

    render, *steps = run_steps(template)
    assert render[0] == "Render the default service"
    assert steps == run_steps(rendered)
    # A job that failed before its render has no ../service to run in.
    after_failure = [step for step in template["steps"] if "failure()" in step.get("if", "")]
    assert after_failure
    assert all(step.get("working-directory") == "." for step in after_failure)
    # Nor, perhaps, CloudNativePG's resources or any pod: each diagnostic runs whatever fails.
    commands = [
        line.strip()
        for step in after_failure
        for line in step["run"].splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert commands
    assert [command for command in commands if not command.endswith("|| true")] == []
    assert [step["uses"] for step in template["steps"] if "uses" in step][:-1] == setup
    variables = yaml.safe_load(RENDERED_WORKFLOW.read_text(encoding="utf-8"))["env"]
    assert {name: template["env"][name] for name in MANIFESTS} == {
        name: variables[name] for name in MANIFESTS
    }


def test_every_action_is_pinned_to_a_commit_with_its_tag_named() -> None:
    # The commits were checked against the tags they name (helm/kind-action v1.14.0 is
    # ef37e7f3…, Azure/setup-helm v5.0.1 is 9bc31f4e…); this keeps every later pin in that form.
    workflows = [TEMPLATE_WORKFLOW, *WORKFLOWS.glob("*.yml")]
    lines = [
        line.strip().removeprefix("- ")
        for workflow in workflows
        for line in workflow.read_text(encoding="utf-8").splitlines()
        if line.strip().removeprefix("- ").startswith("uses:")
    ]

    assert any("helm/kind-action@" in line for line in lines)
    assert [line for line in lines if not PINNED.match(line)] == []


@pytest.mark.backend_only
def test_a_service_without_kubernetes_carries_none_of_it(renders: Renders) -> None:
    project = renders.of(BACKEND_ONLY)

    for path in ("deploy", ".github/workflows/kubernetes.yml", "stack/chart.py"):
        assert not (project / path).exists(), path
    assert not list(project.glob("tests/test_chart.py"))
    assert "deploy/" not in (project / "README.md").read_text(encoding="utf-8")
