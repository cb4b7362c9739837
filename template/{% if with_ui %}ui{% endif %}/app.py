"""The Items UI: a Streamlit page that talks to the Items API over HTTP only.

Run: `streamlit run ui/app.py`; API_BASE_URL, or API_HOST and API_PORT, say where the API is.
"""

import re
from datetime import datetime
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from items_api import STATUSES, ApiError, ApiUnavailable, ItemsApi, Status, api_location

PAGE_SIZES = (10, 25, 50, 100)
STATUS_LABELS: dict[str, str] = {"pending": "Pending", "in_progress": "In progress", "done": "Done"}
Item = dict[str, Any]
# Every ASCII punctuation character: CommonMark shows each literally after a backslash.
MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def plain(text: str) -> str:
    """The API's own `text` (a message, never a user's) to show where Streamlit renders Markdown
    (st.error): it cannot become an image, a heading or coloured text. Escaping does not stop
    Streamlit's autolinks (GFM's, run after the escapes are resolved), so a user's text never
    goes through Markdown at all: it is shown with `show_users_text`."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def show_users_text(text: str) -> None:
    """`text` a user typed (an item's title), shown as it is: st.text renders no Markdown."""
    st.text(text)


@st.cache_resource
def connect(base_url: str, timeout_s: float) -> ItemsApi:
    """One pooled HTTP client per API location, shared by every session and rerun."""
    return ItemsApi(base_url, timeout_s)


def main() -> None:
    st.set_page_config(page_title="Items", page_icon="✅", layout="wide")
    api = connect(*api_location())
    show_health(api)
    st.title("Items")
    if notice := st.session_state.pop("notice", None):
        message, title = notice  # a fixed message, and the item's title shown as plain text
        st.success(message)
        show_users_text(title)

    status, page_size = show_filters()
    offset = st.session_state.setdefault("page", 0) * page_size
    try:
        # Newest first: what was just created is at the top of the first page.
        items = api.list_items(limit=page_size, offset=offset, status=status, order="newest")
    except (ApiError, ApiUnavailable) as failure:
        show_failure(failure)
        st.button("Retry", key="retry_list", type="primary")
        return
    show_table(items)
    show_paging(has_next=len(items) == page_size)

    create_column, edit_column = st.columns(2, gap="large")
    with create_column:
        show_create_form(api)
    with edit_column:
        show_edit_panel(api, items)


def show_health(api: ItemsApi) -> None:
    state = api.health()
    label = {
        "healthy": ":green[●] API healthy",
        "degraded": ":orange[●] API up, database unreachable",
        "down": ":red[●] API unreachable",
    }[state]
    st.sidebar.markdown(f"**{label}**")
    st.sidebar.caption(f"API: {api.base_url}")
    st.sidebar.button("Refresh", key="refresh")


def show_failure(failure: ApiError | ApiUnavailable, where: DeltaGenerator | None = None) -> None:
    (where or st).error(f"{plain(str(failure))}  \nRequest id: `{failure.request_id}`")


def show_filters() -> tuple[Status | None, int]:
    def back_to_first_page() -> None:
        st.session_state.page = 0

    filters: dict[str, Status | None] = {"all": None, **{status: status for status in STATUSES}}
    left, right, _ = st.columns([2, 1, 3])
    choice = left.selectbox(
        "Status",
        list(filters),
        format_func=lambda name: "All statuses" if name == "all" else STATUS_LABELS[name],
        key="filter_status",
        on_change=back_to_first_page,
    )
    page_size = right.selectbox(
        "Per page", PAGE_SIZES, index=1, key="page_size", on_change=back_to_first_page
    )
    return filters[choice], int(page_size)


def show_table(items: list[Item]) -> None:
    if not items:
        st.info("No items here yet. Create one below.")
        return
    rows = [
        {
            "Title": item["title"],
            "Status": STATUS_LABELS[item["status"]],
            "Description": item["description"] or "",
            "Created": datetime.fromisoformat(item["created_at"]),
            "Updated": datetime.fromisoformat(item["updated_at"]),
        }
        for item in items
    ]
    when = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
    st.dataframe(
        rows,
        hide_index=True,
        use_container_width=True,
        column_config={"Created": when, "Updated": when},
    )


def show_paging(*, has_next: bool) -> None:
    page = st.session_state.page
    previous, label, following, _ = st.columns([1, 1, 1, 5])
    if previous.button("← Previous", key="previous_page", disabled=page == 0):
        st.session_state.page = page - 1
        st.rerun()
    label.markdown(f"Page {page + 1}")
    if following.button("Next →", key="next_page", disabled=not has_next):
        st.session_state.page = page + 1
        st.rerun()


def item_form(
    key: str, item: Item | None
) -> tuple[dict[str, Any], dict[str, DeltaGenerator], bool]:
    """Title, description and status inputs, each with a slot under it for the API's complaint."""
    with st.form(key):
        title = st.text_input("Title", value=item["title"] if item else "", key=f"{key}_title")
        title_slot = st.empty()
        description = st.text_area(
            "Description", value=(item or {}).get("description") or "", key=f"{key}_description"
        )
        description_slot = st.empty()
        status = st.selectbox(
            "Status",
            STATUSES,
            index=STATUSES.index(item["status"]) if item else 0,
            format_func=STATUS_LABELS.__getitem__,
            key=f"{key}_status",
        )
        status_slot = st.empty()
        submitted = st.form_submit_button("Save" if item else "Create", key=f"{key}_submit")
    values = {"title": title, "description": description, "status": status}
    slots = {"title": title_slot, "description": description_slot, "status": status_slot}
    return values, slots, submitted


def report(failure: ApiError | ApiUnavailable, slots: dict[str, DeltaGenerator]) -> None:
    """Show validation errors next to their fields; anything else as one message."""
    fields = failure.fields if isinstance(failure, ApiError) else {}
    for name, message in fields.items():
        if name in slots:
            slots[name].error(plain(message))
    if not fields.keys() & slots.keys():
        show_failure(failure)


def show_create_form(api: ItemsApi) -> None:
    st.subheader("New item")
    # Each created item starts a new generation of the form's widgets: fresh keys are what makes
    # the browser show empty inputs again.
    generation = st.session_state.setdefault("create_generation", 0)
    values, slots, submitted = item_form(f"create_{generation}", None)
    if not submitted:
        return
    try:
        item = api.create_item(values["title"], values["description"], values["status"])
    except (ApiError, ApiUnavailable) as failure:
        report(failure, slots)  # the inputs keep what was typed, to fix and resend
        return
    st.session_state.create_generation = generation + 1
    st.session_state.page = 0  # where the new item is
    st.session_state.notice = ("Created.", item["title"])
    st.rerun()


def show_edit_panel(api: ItemsApi, items: list[Item]) -> None:
    st.subheader("Edit or delete")
    if not items:
        st.caption("Nothing on this page to edit.")
        return
    by_id = {item["id"]: item for item in items}
    chosen = st.selectbox(
        "Item",
        list(by_id),
        format_func=lambda item_id: f"{by_id[item_id]['title']} · {item_id[:8]}",
        key="edit_choice",
    )
    item = by_id[chosen]
    st.caption(f"Created {_when(item['created_at'])} · updated {_when(item['updated_at'])}")
    values, slots, submitted = item_form(f"edit_{item['id']}", item)
    if submitted:
        try:
            api.replace_item(item["id"], values["title"], values["description"], values["status"])
        except (ApiError, ApiUnavailable) as failure:
            report(failure, slots)
        else:
            st.session_state.notice = ("Saved.", values["title"])
            st.rerun()
    show_delete(api, item)


def show_delete(api: ItemsApi, item: Item) -> None:
    if st.session_state.get("confirm_delete") != item["id"]:
        if st.button("Delete…", key="delete"):
            st.session_state.confirm_delete = item["id"]
            st.rerun()
        return
    st.warning("Delete this item? This cannot be undone.")
    show_users_text(item["title"])
    confirm, cancel, _ = st.columns([1, 1, 3])
    if confirm.button("Yes, delete", key="confirm_delete_button", type="primary"):
        try:
            api.delete_item(item["id"])
        except (ApiError, ApiUnavailable) as failure:
            show_failure(failure)
            return
        del st.session_state.confirm_delete
        st.session_state.notice = ("Deleted.", item["title"])
        st.rerun()
    if cancel.button("Cancel", key="cancel_delete"):
        del st.session_state.confirm_delete
        st.rerun()


def _when(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M:%S")


main()
