"""The Streamlit UI, run by Streamlit's AppTest against the real API (no mocked client)."""

from collections.abc import Iterable
from typing import Protocol

import httpx
from markdown_it import MarkdownIt
from markdown_it.token import Token
from stack.processes import free_port
from streamlit.testing.v1 import AppTest

from .conftest import OpenApp

# The elements' bodies are Markdown; what a reader sees is what a CommonMark parser makes of them.
COMMONMARK = MarkdownIt("commonmark")
# A title a user could type to have every viewer's browser fetch an image or follow a link:
# Markdown, HTML, and GFM autolink literals (which Streamlit links even with every character
# escaped, as it runs them after the escapes are resolved).
MARKDOWN_TITLE = (
    "![pixel](http://127.0.0.1:9/pixel.png) [click](https://evil.example/x) <b>bold</b>"
    " **loud** :red[alarm] # heading www.evil.example https://evil.example/y a@evil.example"
)
# The element kinds whose bodies Streamlit renders as Markdown.
MARKDOWN_KINDS = ("success", "warning", "error", "info", "markdown", "caption")


class Shown(Protocol):
    @property
    def value(self) -> object: ...


def inline_tokens(markdown: str) -> list[Token]:
    return [token for block in COMMONMARK.parse(markdown) for token in block.children or []]


def shown(markdown: str) -> str:
    """The text a reader sees of `markdown`, its markup gone."""
    return "".join(
        " " if token.type in ("softbreak", "hardbreak") else token.content
        for token in inline_tokens(markdown)
    )


def texts(elements: Iterable[Shown]) -> str:
    """Everything the elements show, as one string to search."""
    return " ".join(shown(str(element.value)) for element in elements)


def assert_only_as_plain_text(app: AppTest, title: str) -> None:
    """`title` is shown by st.text elements, and no Markdown element carries any of it."""
    assert title in [text.value for text in app.text]
    for kind in MARKDOWN_KINDS:
        for element in getattr(app, kind):
            assert "evil" not in str(element.value), f"the title in st.{kind}: {element.value}"


def test_an_empty_list_invites_a_first_item(app: AppTest) -> None:
    assert not app.exception
    assert "No items here yet" in texts(app.info)
    assert "API healthy" in texts(app.sidebar.markdown)


def test_create_an_item(app: AppTest, api: httpx.Client) -> None:
    app.text_input(key="create_0_title").input("Buy milk")
    app.text_area(key="create_0_description").input("Two litres")
    app.selectbox(key="create_0_status").select("in_progress")
    app.button(key="create_0_submit").click().run()

    assert "Created." in texts(app.success)
    assert [text.value for text in app.text] == ["Buy milk"]
    assert app.text_input(key="create_1_title").value == ""  # a fresh form for the next item
    [item] = api.get("/items").json()
    assert (item["title"], item["description"], item["status"]) == (
        "Buy milk",
        "Two litres",
        "in_progress",
    )
    table = app.dataframe[0].value
    assert list(table["Title"]) == ["Buy milk"]
    assert list(table["Status"]) == ["In progress"]


def test_a_validation_error_is_shown_next_to_its_field(app: AppTest, api: httpx.Client) -> None:
    app.text_area(key="create_0_description").input("Typed with care")
    app.button(key="create_0_submit").click().run()  # no title

    assert not app.exception
    assert "String should have at least 1 character." in texts(app.error)
    assert app.text_area(key="create_0_description").value == "Typed with care"  # nothing lost
    assert "Request id" not in texts(app.error)  # a field error, not a failed call
    assert api.get("/items").json() == []


def test_edit_an_item(app: AppTest, api: httpx.Client) -> None:
    item = api.post("/items", json={"title": "Draft", "description": "old"}).json()
    app.run()

    key = f"edit_{item['id']}"
    app.text_input(key=f"{key}_title").input("Final")
    app.text_area(key=f"{key}_description").input("")
    app.selectbox(key=f"{key}_status").select("done")
    app.button(key=f"{key}_submit").click().run()

    assert "Saved." in texts(app.success)
    assert [text.value for text in app.text] == ["Final"]
    saved = api.get(f"/items/{item['id']}").json()
    assert (saved["title"], saved["description"], saved["status"]) == ("Final", None, "done")
    assert saved["updated_at"] > item["updated_at"]


def test_delete_asks_for_confirmation(app: AppTest, api: httpx.Client) -> None:
    item = api.post("/items", json={"title": "Obsolete"}).json()
    app.run()

    app.button(key="delete").click().run()
    assert "Delete this item? This cannot be undone." in texts(app.warning)
    assert [text.value for text in app.text] == ["Obsolete"]
    app.button(key="cancel_delete").click().run()
    assert api.get(f"/items/{item['id']}").status_code == 200

    app.button(key="delete").click().run()
    app.button(key="confirm_delete_button").click().run()
    assert "Deleted." in texts(app.success)
    assert [text.value for text in app.text] == ["Obsolete"]
    assert api.get(f"/items/{item['id']}").status_code == 404


def test_titles_are_shown_as_plain_text_never_as_markdown(app: AppTest, api: httpx.Client) -> None:
    app.text_input(key="create_0_title").input(MARKDOWN_TITLE)
    app.button(key="create_0_submit").click().run()

    assert_only_as_plain_text(app, MARKDOWN_TITLE)
    assert "Created." in texts(app.success)

    app.button(key="delete").click().run()
    assert_only_as_plain_text(app, MARKDOWN_TITLE)
    assert "Delete this item? This cannot be undone." in texts(app.warning)
    [item] = api.get("/items").json()
    assert item["title"] == MARKDOWN_TITLE  # stored as typed


def test_filter_by_status_and_page(app: AppTest, api: httpx.Client) -> None:
    for n in range(12):
        api.post("/items", json={"title": f"task {n:02}", "status": "done" if n % 2 else "pending"})

    app.selectbox(key="page_size").select(10).run()
    assert list(app.dataframe[0].value["Title"]) == [f"task {n:02}" for n in range(11, 1, -1)]
    app.button(key="next_page").click().run()
    assert list(app.dataframe[0].value["Title"]) == ["task 01", "task 00"]
    assert app.button(key="next_page").disabled

    app.selectbox(key="filter_status").select("done").run()  # back to page 1
    titles = list(app.dataframe[0].value["Title"])
    assert titles == [f"task {n:02}" for n in range(11, 0, -2)]


def test_a_created_item_is_first_on_the_first_page(app: AppTest, api: httpx.Client) -> None:
    for n in range(30):
        api.post("/items", json={"title": f"older {n:02}"})
    app.run()
    app.button(key="next_page").click().run()  # away from the first page

    app.text_input(key="create_0_title").input("Just made")
    app.button(key="create_0_submit").click().run()

    assert "Page 1" in [markdown.value for markdown in app.markdown]
    assert list(app.dataframe[0].value["Title"])[:2] == ["Just made", "older 29"]


def test_an_unreachable_api_is_reported_with_a_retry(open_app: OpenApp) -> None:
    app = open_app(f"http://127.0.0.1:{free_port()}")

    assert not app.exception
    assert "cannot be reached" in texts(app.error)
    assert "Request id: " in texts(app.error)
    assert "API unreachable" in texts(app.sidebar.markdown)
    assert app.button(key="retry_list").label == "Retry"


def test_a_hanging_api_times_out_with_a_message(open_app: OpenApp, silent_port: int) -> None:
    app = open_app(f"http://127.0.0.1:{silent_port}", API_TIMEOUT_S="0.5")

    assert "did not answer within 0.5 s" in texts(app.error)
    assert app.button(key="retry_list").label == "Retry"
