"""End to end: the API and the UI as real servers, driven by headless Chromium through Playwright.

Chromium comes from the system (`apt-get install chromium`, or CHROMIUM_PATH): Playwright's own
browser download is never used. Without one the tests are skipped (failed when CI=true).
"""

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from stack import seed
from stack.processes import free_port, running
from stack.tools import CHROMIUM

from ..programs import do_without, require
from .conftest import APP

PROJECT_ROOT = APP.parents[1]
SCREENSHOT = PROJECT_ROOT / "reports" / "ui-e2e.png"
SEEDED_SCREENSHOT = PROJECT_ROOT / "reports" / "ui-seeded.png"
# Quiet, offline-safe Chromium: no sandbox as root, no background calls to Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium_path() -> str:
    if path := os.environ.get("CHROMIUM_PATH"):
        if not Path(path).is_file():
            do_without(f"CHROMIUM_PATH={path} is not a file")
        return path
    [path] = require(CHROMIUM)
    return path


@pytest.fixture(scope="module")
def ui_url(live_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
        "--server.port", str(port), "--server.fileWatcherType", "none",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("ui") / "streamlit.log"
    env = {**os.environ, "API_BASE_URL": live_api}
    with running(command, env, f"{url}/_stcore/health", log):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, ui_url: str) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(ui_url)
    expect(page.get_by_role("heading", name="Items")).to_be_visible(timeout=30_000)
    yield page
    page.close()


def form(page: Page, index: int) -> Locator:
    return page.locator("[data-testid='stForm']").nth(index)


def rerun_done(page: Page) -> None:
    """Wait until the script run that drew the page has finished: while it runs, the elements of
    the run before can still be in the page beside the new ones (seen on a loaded CI machine:
    two forms, and `.first` was the stale one)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def choose(page: Page, within: Locator, option: str) -> None:
    # Streamlit can re-render the select box between the click and its list opening (seen on a
    # loaded CI machine: the list never showed). Open it again until the option is there.
    wanted = page.get_by_role("option", name=option)
    for _ in range(5):
        within.locator("[data-testid='stSelectbox']").click()
        try:
            wanted.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    wanted.click()


def test_create_edit_and_delete_an_item_in_the_browser(page: Page, api: httpx.Client) -> None:
    create = form(page, 0)
    create.get_by_label("Title").fill("Paint the fence")
    create.get_by_label("Description").fill("White, two coats")
    create.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Created.", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stText")).to_have_text("Paint the fence")  # plain text
    rerun_done(page)
    expect(create.get_by_label("Title")).to_have_value("")  # ready for the next item
    [item] = api.get("/items").json()
    assert (item["title"], item["description"], item["status"]) == (
        "Paint the fence",
        "White, two coats",
        "pending",
    )

    edit = form(page, 1)
    edit.get_by_label("Title").fill("Paint the fence green")
    choose(page, edit, "In progress")
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stText")).to_have_text("Paint the fence green")
    rerun_done(page)
    edited = api.get(f"/items/{item['id']}").json()
    assert (edited["title"], edited["status"]) == ("Paint the fence green", "in_progress")

    api.post("/items", json={"title": "Fix the gate", "status": "done"})
    page.get_by_role("button", name="Refresh").click()
    # The table is drawn on a canvas: the rerun is over when the last notice is gone.
    expect(page.get_by_text("Saved.", exact=True)).to_be_hidden()
    rerun_done(page)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    expect(page.get_by_role("combobox", name="Item")).to_have_count(1)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Newest first: the new item is first, and chosen by default; back to the edited one.
    expect(page.get_by_role("combobox", name="Item")).to_have_value(re.compile("^Fix the gate"))
    page.get_by_role("combobox", name="Item").click()
    page.get_by_role("option", name=re.compile("^Paint the fence green")).click()
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_text("Deleted.", exact=True)).to_be_visible()
    assert api.get(f"/items/{item['id']}").status_code == 404


def test_seeded_items_show_newest_first(page: Page, api: httpx.Client) -> None:
    created, _ = seed.seed(str(api.base_url))
    page.get_by_role("button", name="Refresh").click()

    # The table is a canvas; the edit panel's item list shows the page's rows in the same order.
    newest, second = (title for title, _, _ in reversed(seed.ITEMS[-2:]))
    items = page.get_by_role("combobox", name="Item")
    expect(items).to_have_value(re.compile(f"^{re.escape(newest)} · "))
    items.click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert created == len(seed.ITEMS)
    assert [option.split(" · ")[0] for option in options[:2]] == [newest, second]
    SEEDED_SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SEEDED_SCREENSHOT), full_page=True)
