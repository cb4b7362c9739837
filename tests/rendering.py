"""Rendering the template for tests, over the answer combinations Paved supports."""

from pathlib import Path

import copier
import pytest

ROOT = Path(__file__).parents[1]

SUPPORTED_COMBINATIONS = [
    pytest.param({}, id="defaults"),
    pytest.param({"with_ui": False, "with_opensearch": False}, id="backend-only"),
    pytest.param(
        {"project_name": "Acme Orders", "with_opensearch": False}, id="custom-name-ui-only"
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
