"""Item queries and rules. Each operation is a single SQL statement: one round trip per request."""

import uuid
from datetime import datetime

from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import NotFoundError
from .domain import ItemStatus
from .models import Item
from .schemas import ItemIn, ItemRead

_COLUMNS = (Item.id, Item.title, Item.description, Item.status, Item.created_at, Item.updated_at)
_ItemRow = Row[uuid.UUID, str, str | None, ItemStatus, datetime, datetime]

# Every statement is built once, with bound parameters: a request only looks up the compiled
# statement in SQLAlchemy's cache instead of rebuilding (and re-keying) the expression each time.
# Oldest first, with the id as tie-breaker: new items land on the last page, so paging with
# limit/offset stays stable while others create items.
_LIST = (
    select(*_COLUMNS)
    .order_by(Item.created_at, Item.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_LIST_BY_STATUS = _LIST.where(Item.status == bindparam("status"))
_GET = select(*_COLUMNS).where(Item.id == bindparam("item_id"))
_CREATE = insert(Item).returning(*_COLUMNS)
_REPLACE = (
    update(Item)
    .where(Item.id == bindparam("item_id"))
    .values(
        title=bindparam("new_title"),
        description=bindparam("new_description"),
        status=bindparam("new_status"),
        updated_at=func.now(),
    )
    .returning(*_COLUMNS)
)
_DELETE = delete(Item).where(Item.id == bindparam("item_id")).returning(Item.id)


class ItemNotFoundError(NotFoundError):
    def __init__(self, item_id: uuid.UUID) -> None:
        super().__init__(f"Item {item_id} does not exist.")


async def list_items(
    conn: AsyncConnection, *, limit: int, offset: int, status: ItemStatus | None = None
) -> list[ItemRead]:
    page = {"limit": limit, "offset": offset}
    if status is None:
        result = await conn.execute(_LIST, page)
    else:
        result = await conn.execute(_LIST_BY_STATUS, {**page, "status": status})
    return [ItemRead.model_validate(row) for row in result]


async def get_item(conn: AsyncConnection, item_id: uuid.UUID) -> ItemRead:
    result = await conn.execute(_GET, {"item_id": item_id})
    return _one(result.first(), item_id)


async def create_item(conn: AsyncConnection, data: ItemIn) -> ItemRead:
    result = await conn.execute(_CREATE, data.model_dump())
    return ItemRead.model_validate(result.one())


async def replace_item(conn: AsyncConnection, item_id: uuid.UUID, data: ItemIn) -> ItemRead:
    values = {f"new_{name}": value for name, value in data.model_dump().items()}
    result = await conn.execute(_REPLACE, {"item_id": item_id, **values})
    return _one(result.first(), item_id)


async def delete_item(conn: AsyncConnection, item_id: uuid.UUID) -> None:
    result = await conn.execute(_DELETE, {"item_id": item_id})
    if result.first() is None:
        raise ItemNotFoundError(item_id)


def _one(row: _ItemRow | None, item_id: uuid.UUID) -> ItemRead:
    if row is None:
        raise ItemNotFoundError(item_id)
    return ItemRead.model_validate(row)
