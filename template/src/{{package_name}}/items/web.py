"""What every items router shares, whichever answer to `auth` rendered it: the list's query
parameters and the error statuses each operation documents."""

from typing import Annotated, Any

from fastapi import Query

from ..errors import problem_responses
from .service import Order

MAX_PAGE_SIZE = 200
# PostgreSQL reads and discards every row before the offset: a deep page costs a scan of all
# that precede it, so no client may ask for one deeper than this (keyset pagination, a cursor
# on (created_at, id), would page any depth at one index lookup: docs in the README).
MAX_OFFSET = 10_000

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"at most {MAX_OFFSET}: narrow by `status`")
]
ListOrder = Annotated[Order, Query(description="`oldest` first (the default) or `newest` first")]

# Every status a route can answer is documented: Schemathesis holds the API to it.
LIST_ERRORS = problem_responses(422, 503)
BODY_ERRORS = problem_responses(400, 413, 422, 503)
ID_ERRORS = problem_responses(404, 422, 503)
WRITE_ERRORS = problem_responses(429)  # a client over its write limit (ratelimit.py)
CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            "Location": {"description": "URL of the new item", "schema": {"type": "string"}}
        }
    }
}
