"""`nox -s seed` and the stack commands around it: example items through the real API, created
once; a clear word, and nothing written, when the input or the API is wrong."""

import subprocess
import sys

import httpx
import pytest
from stack import seed
from stack.services import PROJECT_ROOT


def test_seed_creates_every_item_once_newest_last(
    api_auth: httpx.Auth | None, live_api: str, empty_tables: None
) -> None:
    # api_auth first: with auth=oidc it points the APIs served after it at the real provider.
    first = seed.seed(live_api, api_auth)
    again = seed.seed(live_api, api_auth)

    assert first == (len(seed.ITEMS), 0)
    assert again == (0, len(seed.ITEMS))
    params: dict[str, str | int] = {"order": "newest", "limit": 200}
    listed = httpx.get(f"{live_api}/items", params=params, auth=api_auth).json()
    assert [item["title"] for item in listed] == [title for title, _, _ in reversed(seed.ITEMS)]


def test_seed_without_an_api_says_to_start_the_stack() -> None:
    with pytest.raises(seed.SeedError, match=r"cannot be reached .*run `nox -s up` first"):
        seed.seed("http://127.0.0.1:9")  # nothing listens on the discard port


def test_revision_without_a_message_is_refused_before_anything_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stack", "revision"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert "the following arguments are required: -m/--message" in result.stderr
