"""Item queries and rules. Each operation is a single SQL statement: one round trip per request,
on a connection borrowed from the pool for just that round trip."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from psycopg.rows import DictRow
from pydantic import TypeAdapter
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute

from ..db import Pool, to_sql
from ..exceptions import NotFoundError
from .domain import ItemStatus
from .models import Item
from .schemas import ItemIn, ItemRead

_COLUMNS = (Item.id, Item.title, Item.description, Item.status, Item.created_at, Item.updated_at)
_ITEMS = TypeAdapter(list[ItemRead])
# The values of a Statements' `scoped_by` columns, by name (an owner): none for EVERY_ITEM.
Scope = Mapping[str, object]
_NO_SCOPE: Scope = {}


class Order(StrEnum):
    """The order of a list. Either way the id breaks ties, so every page is well defined."""

    oldest = "oldest"  # new items land on the last page: offsets stay put while others create
    newest = "newest"  # what a person looks for first; new items shift later pages by one


@dataclass(frozen=True)
class Statements:
    """The SQL of every item operation, over the rows whose `scoped_by` columns equal the
    parameters of the same names (none: every row). A new row gets those columns too."""

    page: Mapping[Order, str]
    page_of_status: Mapping[Order, str]
    get: str
    create: str
    replace: str
    delete: str


# Both orders are read straight from one index, forwards or backwards (items/models.py).
_KEYS = (Item.created_at, Item.id)
_ORDER_BY = {Order.oldest: _KEYS, Order.newest: tuple(key.desc() for key in _KEYS)}
# Create and replace set exactly the fields a client writes, from parameters of the same names.
_WRITABLE = tuple(ItemIn.model_fields)


def statements(*scoped_by: InstrumentedAttribute[str | None]) -> Statements:
    """Built with SQLAlchemy (checked against the model) and compiled to SQL once, at import."""
    scope = [column == bindparam(column.key) for column in scoped_by]
    page = select(*_COLUMNS).where(*scope).limit(bindparam("limit")).offset(bindparam("offset"))
    of_status = page.where(Item.status == bindparam("status"))
    return Statements(
        page={order: to_sql(page.order_by(*keys)) for order, keys in _ORDER_BY.items()},
        page_of_status={
            order: to_sql(of_status.order_by(*keys)) for order, keys in _ORDER_BY.items()
        },
        get=to_sql(select(*_COLUMNS).where(Item.id == bindparam("item_id"), *scope)),
        create=to_sql(
            insert(Item).returning(*_COLUMNS),
            set_columns=(*_WRITABLE, *(column.key for column in scoped_by)),
        ),
        replace=to_sql(
            update(Item)
            .where(Item.id == bindparam("item_id"), *scope)
            .values(updated_at=func.now())
            .returning(*_COLUMNS),
            set_columns=_WRITABLE,
        ),
        delete=to_sql(
            delete(Item).where(Item.id == bindparam("item_id"), *scope).returning(Item.id)
        ),
    )


EVERY_ITEM = statements()
# Public: `nox -s bench` gives pgbench exactly these statements (stack/bench.py).
LIST_SQL = EVERY_ITEM.page
LIST_BY_STATUS_SQL = EVERY_ITEM.page_of_status
GET_SQL = EVERY_ITEM.get
CREATE_SQL = EVERY_ITEM.create
REPLACE_SQL = EVERY_ITEM.replace
DELETE_SQL = EVERY_ITEM.delete


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
    sql: Statements = EVERY_ITEM,
    scope: Scope = _NO_SCOPE,
) -> list[ItemRead]:
    page = {"limit": limit, "offset": offset, **scope}
    async with pool.connection() as conn:
        if status is None:
            cursor = await conn.execute(sql.page[order], page)
        else:
            cursor = await conn.execute(sql.page_of_status[order], {**page, "status": status})
        rows = await cursor.fetchall()
    return _ITEMS.validate_python(rows)


async def get_item(
    pool: Pool, item_id: uuid.UUID, sql: Statements = EVERY_ITEM, scope: Scope = _NO_SCOPE
) -> ItemRead:
    return _found(await _one_row(pool, sql.get, {"item_id": item_id, **scope}), item_id)


async def create_item(
    pool: Pool, data: ItemIn, sql: Statements = EVERY_ITEM, scope: Scope = _NO_SCOPE
) -> ItemRead:
    return ItemRead.model_validate(await _one_row(pool, sql.create, {**data.model_dump(), **scope}))


async def replace_item(
    pool: Pool,
    item_id: uuid.UUID,
    data: ItemIn,
    sql: Statements = EVERY_ITEM,
    scope: Scope = _NO_SCOPE,
) -> ItemRead:
    row = await _one_row(pool, sql.replace, {"item_id": item_id, **data.model_dump(), **scope})
    return _found(row, item_id)


async def delete_item(
    pool: Pool, item_id: uuid.UUID, sql: Statements = EVERY_ITEM, scope: Scope = _NO_SCOPE
) -> None:
    if await _one_row(pool, sql.delete, {"item_id": item_id, **scope}) is None:
        raise ItemNotFoundError(item_id)


async def _one_row(pool: Pool, sql: str, params: Mapping[str, object]) -> DictRow | None:
    """The row `sql` returns, on a connection borrowed for this one round trip."""
    async with pool.connection() as conn:
        cursor = await conn.execute(sql, params)
        return await cursor.fetchone()


def _found(row: DictRow | None, item_id: uuid.UUID) -> ItemRead:
    if row is None:
        raise ItemNotFoundError(item_id)
    return ItemRead.model_validate(row)
