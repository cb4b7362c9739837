"""Paved's own sessions. A bare `nox` runs lint and the template tests; `nox -s demo` runs the demo."""

import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
DEMO_DIR = ROOT / "demo"


def install_groups(session: nox.Session, *groups: str) -> None:
    """Install the named dependency groups; `-R` skips this."""
    session.install(
        *(req for group in groups for req in nox.project.dependency_groups(PYPROJECT, group))
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Lint the template repository's own files (the rendered service is linted by the tests)."""
    install_groups(session, "lint")
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Render every supported answer combination and run each service's own lint and tests."""
    install_groups(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Render the default service into a temporary folder and run its `nox -s bench` there."""
    install_groups(session, "test")
    target = Path(session.create_tmp()) / "bench-service"
    shutil.rmtree(target, ignore_errors=True)
    session.run(
        "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", str(ROOT), str(target)
    )
    session.chdir(target)
    session.run("nox", "-s", "bench", "--", *session.posargs, external=True)
    report = target / "reports" / "bench.json"
    shutil.copy(report, ROOT / "bench.json")
    session.log(f"Report: {ROOT / 'bench.json'}")


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Render the default service into ./demo, bring its stack up and seed it (`-- down` stops it)."""
    install_groups(session, "test")
    if session.posargs == ["down"]:
        if DEMO_DIR.exists():
            session.chdir(DEMO_DIR)
            session.run("nox", "-s", "down", external=True)
        return
    if DEMO_DIR.exists():
        with session.chdir(DEMO_DIR):
            session.run("nox", "-s", "down", external=True, success_codes=[0, 1])
        shutil.rmtree(DEMO_DIR)
    session.run(
        "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", str(ROOT), str(DEMO_DIR)
    )
    session.chdir(DEMO_DIR)
    session.run("nox", "-s", "up", external=True)
    session.run("nox", "-s", "seed", external=True)  # the first screen has something to show
