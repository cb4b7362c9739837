"""HTTP routes for items: parse the request, call the service, shape the response."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ..dependencies import pool_of
from ..errors import problem_responses
from . import service
from .domain import ItemStatus
from .schemas import ItemIn, ItemRead
from .service import Order

MAX_PAGE_SIZE = 200
# PostgreSQL reads and discards every row before the offset: a deep page costs a scan of all
# that precede it, so no client may ask for one deeper than this (keyset pagination, a cursor
# on (created_at, id), would page any depth at one index lookup: docs in the README).
MAX_OFFSET = 10_000

# Every status a route can answer is documented: Schemathesis holds the API to it.
_BODY_ERRORS = problem_responses(400, 413, 422, 503)
_ID_ERRORS = problem_responses(404, 422, 503)
_WRITE_ERRORS = problem_responses(429)  # a client over its write limit (ratelimit.py)

router = APIRouter(prefix="/items", tags=["items"])


@router.get("", summary="List items", responses=problem_responses(422, 503))
async def list_items(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description=f"at most {MAX_OFFSET}: narrow by `status`")
    ] = 0,
    status: ItemStatus | None = None,
    order: Annotated[
        Order, Query(description="`oldest` first (the default) or `newest` first")
    ] = Order.oldest,
) -> list[ItemRead]:
    """Items in creation order; page with `limit`/`offset`, optionally only one `status`."""
    return await service.list_items(
        pool_of(request), limit=limit, offset=offset, status=status, order=order
    )


@router.post(
    "",
    summary="Create an item",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_BODY_ERRORS,
        **_WRITE_ERRORS,
        201: {
            "headers": {
                "Location": {"description": "URL of the new item", "schema": {"type": "string"}}
            }
        },
    },
)
async def create_item(request: Request, data: ItemIn, response: Response) -> ItemRead:
    item = await service.create_item(pool_of(request), data)
    # The collection's path plus the id. A relative reference (RFC 9110 allows it) stays right
    # behind proxies that rewrite the host; url_path_for() would search every route for it.
    response.headers["Location"] = f"{request.url.path}/{item.id}"
    return item


@router.get("/{item_id}", summary="Get an item", responses=_ID_ERRORS)
async def get_item(request: Request, item_id: uuid.UUID) -> ItemRead:
    return await service.get_item(pool_of(request), item_id)


@router.put(
    "/{item_id}",
    summary="Replace an item",
    responses={**_ID_ERRORS, **_BODY_ERRORS, **_WRITE_ERRORS},
)
async def replace_item(request: Request, item_id: uuid.UUID, data: ItemIn) -> ItemRead:
    return await service.replace_item(pool_of(request), item_id, data)


@router.delete(
    "/{item_id}",
    summary="Delete an item",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ID_ERRORS, **_WRITE_ERRORS},
)
async def delete_item(request: Request, item_id: uuid.UUID) -> None:
    await service.delete_item(pool_of(request), item_id)
