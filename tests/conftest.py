"""The renders every test module shares, and a marker per supported combination, whose tests
share a worker when they run in parallel (so each combination is still rendered once)."""

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
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    return Renders(tmp_path_factory.mktemp("renders"))
