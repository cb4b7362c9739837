"""Item queries and rules. Each operation is a single SQL statement: one round trip per request."""

import uuid
from datetime import datetime

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import NotFoundError
from .domain import ItemStatus
from .models import Item
from .schemas import ItemIn, ItemRead

_COLUMNS = (Item.id, Item.title, Item.description, Item.status, Item.created_at, Item.updated_at)
_ItemRow = Row[uuid.UUID, str, str | None, ItemStatus, datetime, datetime]


class ItemNotFoundError(NotFoundError):
    def __init__(self, item_id: uuid.UUID) -> None:
        super().__init__(f"Item {item_id} does not exist.")


async def list_items(
    conn: AsyncConnection, *, limit: int, offset: int, status: ItemStatus | None = None
) -> list[ItemRead]:
    # Oldest first, with the id as tie-breaker: new items land on the last page, so paging with
    # limit/offset stays stable while others create items.
    query = select(*_COLUMNS).order_by(Item.created_at, Item.id).limit(limit).offset(offset)
    if status is not None:
        query = query.where(Item.status == status)
    result = await conn.execute(query)
    return [ItemRead.model_validate(row) for row in result]


async def get_item(conn: AsyncConnection, item_id: uuid.UUID) -> ItemRead:
    result = await conn.execute(select(*_COLUMNS).where(Item.id == item_id))
    return _one(result.first(), item_id)


async def create_item(conn: AsyncConnection, data: ItemIn) -> ItemRead:
    result = await conn.execute(insert(Item).values(**data.model_dump()).returning(*_COLUMNS))
    return ItemRead.model_validate(result.one())


async def replace_item(conn: AsyncConnection, item_id: uuid.UUID, data: ItemIn) -> ItemRead:
    result = await conn.execute(
        update(Item)
        .where(Item.id == item_id)
        .values(**data.model_dump(), updated_at=func.now())
        .returning(*_COLUMNS)
    )
    return _one(result.first(), item_id)


async def delete_item(conn: AsyncConnection, item_id: uuid.UUID) -> None:
    result = await conn.execute(delete(Item).where(Item.id == item_id).returning(Item.id))
    if result.first() is None:
        raise ItemNotFoundError(item_id)


def _one(row: _ItemRow | None, item_id: uuid.UUID) -> ItemRead:
    if row is None:
        raise ItemNotFoundError(item_id)
    return ItemRead.model_validate(row)
