"""UI fixtures: the Streamlit app driven against a real API server on the test database."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ..fakes import black_hole

APP = Path(__file__).parents[2] / "ui" / "app.py"


@pytest.fixture
def api(live_api: str, empty_tables: None) -> Iterator[httpx.Client]:
    """A plain HTTP client of the live API, to arrange data and to check what the UI did."""
    with httpx.Client(base_url=live_api) as client:
        yield client


OpenApp = Callable[..., AppTest]


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> OpenApp:
    """Run the UI script once, aimed at the given API base URL (and other UI settings)."""

    def open_app(api_base_url: str, **env: str) -> AppTest:
        for name, value in {"API_BASE_URL": api_base_url, **env}.items():
            monkeypatch.setenv(name, value)
        # A script run takes well under a second; the bound only catches a hung one, and is
        # generous for a CI machine whose cores other renders' suites share.
        return AppTest.from_file(str(APP), default_timeout=90).run()

    return open_app


@pytest.fixture
def app(live_api: str, api: httpx.Client, open_app: OpenApp) -> AppTest:
    """The UI on the live API, on empty tables."""
    return open_app(live_api)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: an API that hangs."""
    with black_hole() as port:
        yield port
