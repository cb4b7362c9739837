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


def render(destination: Path, *, run_tasks: bool = True, **answers: str | bool) -> Path:
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
