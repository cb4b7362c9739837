"""Render the template over every supported answer combination and hold each render to the bar a
new service must meet: every file rendered, and the service's own lint and tests passing."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from .rendering import (
    BACKEND_ONLY,
    CUSTOM_NAME_UI_ONLY,
    DEFAULTS,
    ROOT,
    SUPPORTED,
    SUPPORTED_COMBINATIONS,
    Combination,
    Renders,
    plant,
    render,
    render_without_tasks,
    run_nox,
)

# Jinja left in a file rendered from a .jinja template means an answer never reached it. Other
# files are copied as they are, and some rightly hold braces (Grafana legends, GitHub Actions).
UNRENDERED = re.compile(r"\{\{|\{%|%\}")


def rendered_templates(project: Path) -> list[Path]:
    """The files of `project` that were rendered from a .jinja template."""
    answers = answers_of(project)
    found = []
    for template in (ROOT / "template").rglob("*.jinja"):
        relative = template.relative_to(ROOT / "template").with_suffix("")
        name = jinja2.Template(str(relative)).render(
            **answers, _copier_conf={"answers_file": ".copier-answers.yml"}
        )
        if name and not name.endswith("/") and Path(name).name:
            found.append(project / name)
    return found


@pytest.fixture(params=SUPPORTED_COMBINATIONS)
def rendered(request: pytest.FixtureRequest, renders: Renders) -> Path:
    combination: Combination = request.param
    return renders.of(combination)


def answers_of(project: Path) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load(
        (project / ".copier-answers.yml").read_text(encoding="utf-8")
    )
    return answers


def test_every_file_is_rendered(rendered: Path) -> None:
    files = [path for path in rendered.rglob("*") if path.is_file() and ".git" not in path.parts]
    templates = rendered_templates(rendered)

    assert not [path for path in files if path.suffix == ".jinja"]
    assert len(templates) > 10
    leftovers = [
        path
        for path in templates
        if path.exists() and UNRENDERED.search(path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []


def test_answers_are_recorded_for_copier_update(rendered: Path) -> None:
    answers = answers_of(rendered)

    assert answers["_src_path"] == str(ROOT)
    assert {"project_name", "project_slug", "package_name", "with_ui", "with_opensearch"} <= set(
        answers
    )


def test_the_new_service_is_a_git_repository_with_its_files_staged(rendered: Path) -> None:
    staged = subprocess.run(
        ["git", "ls-files"], cwd=rendered, capture_output=True, text=True, check=True
    ).stdout.split()

    assert "pyproject.toml" in staged
    assert ".copier-answers.yml" in staged
    # Checked out on Windows too, every text file keeps LF.
    line_endings = subprocess.run(
        ["git", "check-attr", "eol", "--", "stack/__main__.py", "uv.lock", "compose/compose.yaml"],
        cwd=rendered,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert [line.rsplit(": ", 1)[1] for line in line_endings] == ["lf", "lf", "lf"]


def test_one_python_version_everywhere(rendered: Path) -> None:
    # The answer is the minimum the package supports and the version everything runs on.
    version = answers_of(rendered)["python_version"]
    workflow = yaml.safe_load(
        (rendered / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    setups = [
        step["with"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]

    assert (rendered / ".python-version").read_text(encoding="utf-8") == f"{version}\n"
    assert f'requires-python = ">={version}"' in (rendered / "pyproject.toml").read_text(
        encoding="utf-8"
    )
    assert setups
    assert all(setup == {"python-version-file": ".python-version"} for setup in setups)
    for dockerfile in (rendered / "compose").glob("*.Dockerfile"):
        assert f"FROM python:{version}-slim" in dockerfile.read_text(encoding="utf-8")


# The defaults pass theirs as the README says, with a bare `nox` (tests/test_readme.py).
@pytest.mark.parametrize(
    "rendered", [c for c in SUPPORTED_COMBINATIONS if c.id != "defaults"], indirect=True
)
def test_the_service_passes_its_own_lint_and_tests(rendered: Path) -> None:
    # The render's own nox, with a clean environment: nothing of this session's venv leaks in.
    result = run_nox(rendered, "-s", "lint", "tests")

    assert result.returncode == 0, result.stdout[-10_000:] + result.stderr[-10_000:]


@pytest.mark.backend_only
def test_lint_fails_when_the_items_service_imports_the_web_framework(
    renders: Renders, workspace: Path
) -> None:
    # The layers' rules hold in `nox -s lint` (import-linter): planted, the import breaks one.
    project = renders.copy(BACKEND_ONLY, workspace / "service")
    plant(
        project,
        "src/items_service/items/service.py",
        "from ..db import Pool, to_sql\n",
        "from fastapi import HTTPException  # noqa: F401\n\nfrom ..db import Pool, to_sql\n",
    )

    result = run_nox(project, "-s", "lint", "--", "import-linter")

    assert result.returncode == 1, result.stdout[-5000:] + result.stderr[-5000:]
    broken = "The domain, its queries and its exceptions never import the web framework BROKEN"
    assert broken in result.stdout
    assert "items_service.items.service -> fastapi" in result.stdout


@pytest.mark.defaults
def test_lint_fails_on_a_one_shot_service_that_up_would_not_wait_for(
    renders: Renders, workspace: Path
) -> None:
    # No Docker engine runs here: the rule `docker compose up --wait` follows for one-shots is
    # held by a lint hook instead. The render as shipped passes it (its whole lint runs above).
    project = renders.copy(DEFAULTS, workspace / "service")
    plant(
        project,
        "compose/compose.yaml",
        "\nvolumes:\n",
        '\n  warm-cache:\n    image: busybox:1.37\n    restart: "no"\n\nvolumes:\n',
    )

    result = run_nox(project, "-s", "lint", "--", "compose-one-shots")

    assert result.returncode == 1, result.stdout[-5000:] + result.stderr[-5000:]
    assert "warm-cache: a one-shot service" in result.stdout
    assert "(compose files for production)" in result.stdout  # `up -- --production`
    assert "(compose files for development)" in result.stdout  # `up`
    assert "opensearch-dashboards-setup" not in result.stdout


def test_the_template_workflow_runs_each_supported_combination() -> None:
    # A combination is added in tests/rendering.py; the workflow's matrix must name it too.
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    jobs = workflow["jobs"]["combination"]["strategy"]["matrix"]["include"]
    markers = [combination.marker for combination in SUPPORTED]

    assert jobs == [
        *({"combination": c.id, "select": c.marker} for c in SUPPORTED),
        {"combination": "independent", "select": f"not ({' or '.join(markers)})"},
    ]


@pytest.mark.parametrize("python_version", ["3.14"])
def test_newer_python_targets_pass_ruff(tmp_path: Path, python_version: str) -> None:
    # The supported combinations run the whole gate on 3.11-3.13; no 3.14 runs here (the GitHub
    # workflow's Python axis has it), so ruff, aimed at it, catches the syntax its rules would
    # have the code modernise.
    project = render_without_tasks(tmp_path / "svc", python_version=python_version)

    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.custom_name_ui_only
def test_derived_names_follow_the_project_name(renders: Renders) -> None:
    project = renders.of(CUSTOM_NAME_UI_ONLY)

    answers = answers_of(project)
    assert answers["project_slug"] == "acme-orders"
    assert answers["package_name"] == "acme_orders"
    assert (project / "src" / "acme_orders" / "main.py").is_file()
    assert 'name = "acme-orders"' in (project / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param(
            {"project_slug": "Bad Slug"}, "not a valid distribution name", id="slug-with-space"
        ),
        pytest.param(
            {"project_slug": "items--service"},
            "not a valid distribution name",
            id="slug-double-dash",
        ),
        pytest.param(
            {"package_name": "1items"}, "not a valid import name", id="package-starts-with-digit"
        ),
        pytest.param(
            {"package_name": "items-service"}, "not a valid import name", id="package-with-dash"
        ),
        pytest.param(
            {"package_name": "fastapi"}, "would shadow a module", id="package-shadows-dependency"
        ),
        pytest.param({"author_email": "nobody"}, "does not look like an email", id="bad-email"),
        pytest.param(
            # It is written into YAML and JSON files unescaped.
            {"repository_url": 'https://example.com/a"b'},
            "is not an https:// URL",
            id="repository-url-with-quote",
        ),
        pytest.param({"project_name": "  "}, "must not be empty", id="blank-name"),
    ],
)
def test_invalid_answers_are_refused_with_a_clear_message(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    destination = tmp_path / "svc"

    with pytest.raises(ValueError, match=message):
        render(destination, **answers)
    assert not destination.exists() or not any(destination.iterdir())


def test_auth_none_renders_no_identity_provider_and_oidc_renders_one(tmp_path: Path) -> None:
    without = render_without_tasks(tmp_path / "none", auth="none")
    with_oidc = render_without_tasks(tmp_path / "oidc", auth="oidc")

    for path in ("auth", "stack/identity.py", "tests/identity.py", "tests/test_identity.py"):
        assert not (without / path).exists(), path
        assert (with_oidc / path).exists(), path
    assert "KEYCLOAK" not in (without / ".env.example").read_text(encoding="utf-8")
    # Every placeholder of the realm is a variable of .env.example, and each secret is empty
    # there (stack/environment.py generates it) and never in the realm file itself; the ports
    # its redirect URIs name are set there.
    realm_text = (with_oidc / "auth" / "realm.json").read_text(encoding="utf-8")
    realm = json.loads(realm_text)
    assert realm["realm"] == "items-service"
    assert {client["clientId"] for client in realm["clients"]} == {
        "items-service-ui",
        "items-service-docs",
        "items-service-tools",
        "admin-cli",  # Keycloak's own, with its password grant off
    }
    example = dict(
        line.split("=", 1)
        for line in (with_oidc / ".env.example").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    for name in set(re.findall(r"\$\{([A-Z0-9_]+)\}", realm_text)):
        secret = name.endswith(("_SECRET", "_PASSWORD"))
        assert (example[name] == "") is secret, name
