"""Rendering the template for tests, over the answer combinations Paved supports, and running
a render's own nox sessions."""

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import copier
import pytest

ROOT = Path(__file__).parents[1]

# Between them the combinations cover every Python this machine has (the default is 3.13): each
# render's sessions run on its own `python_version`, whatever Python runs the tests. 3.14 runs in
# the GitHub workflow's Python axis.
SUPPORTED_COMBINATIONS = [
    pytest.param({}, id="defaults"),
    pytest.param(
        {"with_ui": False, "with_opensearch": False, "python_version": "3.11"}, id="backend-only"
    ),
    pytest.param(
        {"project_name": "Acme Orders", "with_opensearch": False, "python_version": "3.12"},
        id="custom-name-ui-only",
    ),
]


def render(destination: Path, **answers: str | bool) -> Path:
    """The service for `answers`, as `copier copy --trust` makes it (tasks included)."""
    return _copy(destination, answers, run_tasks=True)


def render_without_tasks(destination: Path, **answers: str | bool) -> Path:
    """The files alone: no `uv lock`, no `git init`."""
    return _copy(destination, answers, run_tasks=False)


def _copy(destination: Path, answers: dict[str, str | bool], *, run_tasks: bool) -> Path:
    copier.run_copy(
        str(ROOT),
        destination,
        data=answers,
        defaults=True,
        unsafe=True,  # the template's tasks: `uv lock`, `git init` of the new service
        skip_tasks=not run_tasks,
        vcs_ref="HEAD",
        quiet=True,
    )
    return destination


# What a render's nox must not inherit from this test session: its virtualenv and import path,
# and its database (the render's sessions use their own).
_THIS_SESSION_ONLY = frozenset(
    {"VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "DATABASE_URL"}
)


def render_env(**overrides: str) -> dict[str, str]:
    """This environment without what belongs to this test session, plus `overrides`."""
    return {k: v for k, v in os.environ.items() if k not in _THIS_SESSION_ONLY} | overrides


def run_nox(
    project: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`nox ARGS` in a render (in `render_env()` unless `env` is given); output captured."""
    return subprocess.run(
        ["nox", *args],
        cwd=project,
        env=render_env() if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
