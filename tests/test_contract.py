"""`nox -s contract` passes on the service as rendered, and fails, naming the failure, on a
render with a bug planted in it: the gate bites."""

import subprocess
from pathlib import Path

import pytest

from .rendering import (
    BACKEND_OIDC,
    BACKEND_ONLY,
    SUPPORTED_COMBINATIONS,
    Combination,
    Renders,
    plant,
    render_env,
    run_nox,
)


def run_contract(project: Path) -> subprocess.CompletedProcess[str]:
    # API_BASE on a port nobody listens on: the session must start its own private API.
    return run_nox(project, "-s", "contract", env=render_env(API_BASE="http://127.0.0.1:9"))


@pytest.mark.parametrize(
    "combination",
    [
        *SUPPORTED_COMBINATIONS,
        # Authenticated: the tools client's token from a Keycloak of the session's own, and
        # Schemathesis' checks that a missing or wrong token is refused.
        pytest.param(BACKEND_OIDC, id=BACKEND_OIDC.id, marks=pytest.mark.backend_only),
    ],
)
def test_the_rendered_api_passes_the_contract(renders: Renders, combination: Combination) -> None:
    project = renders.of(combination)

    result = run_contract(project)

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "No issues found" in result.stdout
    assert (project / "reports" / "schemathesis" / "junit.xml").is_file()
    assert (project / "reports" / "schemathesis" / "html" / "index.html").is_file()


@pytest.mark.parametrize(
    ("path", "old", "new", "named"),
    [
        pytest.param(
            "src/items_service/items/service.py",
            'delete(Item).where(Item.id == bindparam("item_id"), *scope).returning(Item.id)',
            'select(Item.id).where(Item.id == bindparam("item_id"), *scope)',
            "ST301",  # use after free: the deleted item is still there
            id="delete-that-does-not-delete",
        ),
        pytest.param(
            "src/items_service/items/service.py",
            '{**page, "status": status}',
            '{**page, "status": status.upper()}',
            "ST101",  # server error: PostgreSQL has no status "DONE", and the API answers 500
            id="status-filter-crashes",
        ),
    ],
)
@pytest.mark.backend_only
def test_a_planted_bug_fails_the_contract_by_name(
    renders: Renders, workspace: Path, path: str, old: str, new: str, named: str
) -> None:
    project = renders.copy(BACKEND_ONLY, workspace / "service")
    plant(project, path, old, new)

    result = run_contract(project)

    assert result.returncode == 1, result.stdout[-5000:] + result.stderr[-5000:]
    assert named in result.stdout
