"""A default render on a machine without the system programs its tests use (Chromium,
Prometheus, postgres-exporter, Alertmanager, PgBouncer, Java, Maven, Helm, Jaeger): its gate passes and names every skip; with
CI=true the same gate fails and names what is missing."""

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from .rendering import DEFAULTS, ROOT, Renders, render_env, run_nox


def stack_tools() -> ModuleType:
    """The render's stack/tools.py (plain Python, no answers in it), loaded from the template."""
    spec = importlib.util.spec_from_file_location("stack_tools", ROOT / "template/stack/tools.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Every name the render looks these programs up by.
_TOOLS = stack_tools()
HIDDEN = frozenset(
    name
    for program in (
        _TOOLS.CHROMIUM,
        _TOOLS.PROMETHEUS,
        _TOOLS.PROMTOOL,
        _TOOLS.POSTGRES_EXPORTER,
        _TOOLS.ALERTMANAGER,
        _TOOLS.AMTOOL,
        _TOOLS.PGBOUNCER,
        _TOOLS.JAVA,
        _TOOLS.MAVEN,
        _TOOLS.HELM,
        _TOOLS.JAEGER,
    )
    for name in program.names
)
# Each lint hook that needs a program, and the program.
HOOKS = {
    "promtool-config": "promtool",
    "promtool-rules": "promtool",
    "promtool-test": "promtool",
    "amtool-config": "amtool",
    "chart": "helm",
}

pytestmark = pytest.mark.defaults


def path_without(hidden: frozenset[str], shadows: Path) -> str:
    """PATH as it is, but where a folder holds a hidden program, a folder of links to the rest."""
    folders = []
    for number, folder in enumerate(os.environ["PATH"].split(os.pathsep)):
        entries = list(Path(folder).iterdir()) if Path(folder).is_dir() else []
        if not any(entry.name in hidden for entry in entries):
            folders.append(folder)
            continue
        shadow = shadows / str(number)
        shadow.mkdir()
        for entry in entries:
            if entry.name not in hidden:
                (shadow / entry.name).symlink_to(entry)
        folders.append(str(shadow))
    return os.pathsep.join(folders)


@pytest.fixture(scope="module")
def project(renders: Renders) -> Path:
    return renders.of(DEFAULTS)


@pytest.fixture(scope="module")
def bare_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return path_without(HIDDEN, tmp_path_factory.mktemp("shadows"))


def bare_env(path: str, *, ci: bool) -> dict[str, str]:
    env = render_env(PATH=path, CI="true" if ci else "")
    for variable in ("JAVA_HOME", "CHROMIUM_PATH"):
        env.pop(variable, None)
    return env


def test_without_the_programs_the_gate_passes_and_names_each_skip(
    project: Path, bare_path: str
) -> None:
    env = bare_env(bare_path, ci=False)

    # One hook a run (pre-commit takes one hook id); the first run installs the session.
    lints = [
        (program, run_nox(project, *(["-R"] if n else []), "-s", "lint", "--", hook, env=env))
        for n, (hook, program) in enumerate(HOOKS.items())
    ]
    tests = run_nox(project, "-s", "tests", "--", "-rs", env=env)

    for program, lint in lints:
        assert lint.returncode == 0, lint.stdout[-5000:] + lint.stderr[-5000:]
        assert f"Skipped: {program} is not installed" in lint.stdout
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-5000:]
    skips = [line for line in tests.stdout.splitlines() if line.startswith("SKIPPED")]
    for reason in (
        "prometheus is not installed",
        "prometheus-postgres-exporter is not installed",
        "prometheus-alertmanager is not installed",
        "pgbouncer is not installed",
        "chromium is not installed",
        "java is not installed",
        "helm is not installed",
        "jaeger is not installed",
    ):
        assert any(reason in line for line in skips), (reason, skips)


def test_in_ci_a_missing_program_fails_the_gate_and_is_named(project: Path, bare_path: str) -> None:
    env = bare_env(bare_path, ci=True)

    lint = run_nox(project, "-R", "-s", "lint", "--", "promtool-rules", env=env)
    needing_programs = "dashboard or browser or shipping or chart or alerting or tracing or pooler"
    tests = run_nox(project, "-R", "-s", "tests", "--", "-k", needing_programs, env=env)

    assert lint.returncode != 0
    assert "promtool is not installed" in lint.stdout + lint.stderr
    assert tests.returncode != 0
    for name in (
        "prometheus",
        "prometheus-alertmanager",
        "pgbouncer",
        "chromium",
        "java",
        "helm",
        "jaeger",
    ):
        assert f"{name} is not installed" in tests.stdout, tests.stdout[-5000:]
    assert "CI=true" in tests.stdout
