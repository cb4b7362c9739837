"""The renders every test module shares, and a marker per supported combination."""

import pytest

from .rendering import SUPPORTED, Renders


def pytest_configure(config: pytest.Config) -> None:
    for combination in SUPPORTED:
        config.addinivalue_line(
            "markers", f"{combination.marker}: needs the {combination.id} render"
        )


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    return Renders(tmp_path_factory.mktemp("renders"))
