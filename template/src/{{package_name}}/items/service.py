"""Item queries and rules. Each operation is a single SQL statement: one round trip per request,
on a connection borrowed from the pool for just that round trip."""

import uuid
from enum import StrEnum

from psycopg.rows import DictRow
from pydantic import TypeAdapter
from sqlalchemy import bindparam, delete, func, insert, select, update

from ..db import Pool, to_sql
from ..exceptions import NotFoundError
from .domain import ItemStatus
from .models import Item
from .schemas import ItemIn, ItemRead

_COLUMNS = (Item.id, Item.title, Item.description, Item.status, Item.created_at, Item.updated_at)
_ITEMS = TypeAdapter(list[ItemRead])


class Order(StrEnum):
    """The order of a list. Either way the id breaks ties, so every page is well defined."""

    oldest = "oldest"  # new items land on the last page: offsets stay put while others create
    newest = "newest"  # what a person looks for first; new items shift later pages by one


# Built with SQLAlchemy (checked against the model) and compiled to SQL once, at import.
# Public: `nox -s bench` gives pgbench exactly these statements (stack/bench.py).
# Both orders are read straight from one index, forwards or backwards (items/models.py).
_KEYS = (Item.created_at, Item.id)
_ORDER_BY = {Order.oldest: _KEYS, Order.newest: tuple(key.desc() for key in _KEYS)}
_PAGE = select(*_COLUMNS).limit(bindparam("limit")).offset(bindparam("offset"))
_OF_STATUS = _PAGE.where(Item.status == bindparam("status"))
LIST_SQL = {order: to_sql(_PAGE.order_by(*keys)) for order, keys in _ORDER_BY.items()}
LIST_BY_STATUS_SQL = {
    order: to_sql(_OF_STATUS.order_by(*keys)) for order, keys in _ORDER_BY.items()
}
GET_SQL = to_sql(select(*_COLUMNS).where(Item.id == bindparam("item_id")))
# Create and replace set exactly the fields a client writes, from parameters of the same names.
_WRITABLE = tuple(ItemIn.model_fields)
CREATE_SQL = to_sql(insert(Item).returning(*_COLUMNS), set_columns=_WRITABLE)
REPLACE_SQL = to_sql(
    update(Item)
    .where(Item.id == bindparam("item_id"))
    .values(updated_at=func.now())
    .returning(*_COLUMNS),
    set_columns=_WRITABLE,
)
DELETE_SQL = to_sql(delete(Item).where(Item.id == bindparam("item_id")).returning(Item.id))


class ItemNotFoundError(NotFoundError):
    def __init__(self, item_id: uuid.UUID) -> None:
        super().__init__(f"Item {item_id} does not exist.")


async def list_items(
    pool: Pool,
    *,
    limit: int,
    offset: int,
    status: ItemStatus | None = None,
    order: Order = Order.oldest,
) -> list[ItemRead]:
    page = {"limit": limit, "offset": offset}
    async with pool.connection() as conn:
        if status is None:
            cursor = await conn.execute(LIST_SQL[order], page)
        else:
            cursor = await conn.execute(LIST_BY_STATUS_SQL[order], {**page, "status": status})
        rows = await cursor.fetchall()
    return _ITEMS.validate_python(rows)


async def get_item(pool: Pool, item_id: uuid.UUID) -> ItemRead:
    async with pool.connection() as conn:
        cursor = await conn.execute(GET_SQL, {"item_id": item_id})
        row = await cursor.fetchone()
    return _found(row, item_id)


async def create_item(pool: Pool, data: ItemIn) -> ItemRead:
    async with pool.connection() as conn:
        cursor = await conn.execute(CREATE_SQL, data.model_dump())
        row = await cursor.fetchone()
    return ItemRead.model_validate(row)


async def replace_item(pool: Pool, item_id: uuid.UUID, data: ItemIn) -> ItemRead:
    async with pool.connection() as conn:
        cursor = await conn.execute(REPLACE_SQL, {"item_id": item_id, **data.model_dump()})
        row = await cursor.fetchone()
    return _found(row, item_id)


async def delete_item(pool: Pool, item_id: uuid.UUID) -> None:
    async with pool.connection() as conn:
        cursor = await conn.execute(DELETE_SQL, {"item_id": item_id})
        row = await cursor.fetchone()
    if row is None:
        raise ItemNotFoundError(item_id)


def _found(row: DictRow | None, item_id: uuid.UUID) -> ItemRead:
    if row is None:
        raise ItemNotFoundError(item_id)
    return ItemRead.model_validate(row)
