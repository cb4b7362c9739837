"""What the API accepts and returns for items."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .domain import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, ItemStatus

# PostgreSQL text cannot hold NUL characters: rejecting them here turns a would-be 500 into a 422.
_NO_NUL = r"^[^\x00]*$"

Title = Annotated[
    str,
    Field(min_length=1, max_length=TITLE_MAX_LENGTH, pattern=_NO_NUL, examples=["Write the docs"]),
]
Description = Annotated[
    str | None,
    Field(max_length=DESCRIPTION_MAX_LENGTH, pattern=_NO_NUL, examples=["Cover setup and the API"]),
]


# FastAPI validates the decoded JSON as Python data, where strict mode would want an ItemStatus
# instance; the status is validated by value against the enum instead.
Status = Annotated[ItemStatus, Field(strict=False)]


class ItemIn(BaseModel):
    """The writable fields of an item: the body of POST (create) and of PUT (full replacement,
    so fields left out take their defaults)."""

    # Strict: no coercion between types, and unknown fields are an error rather than ignored.
    model_config = ConfigDict(strict=True, extra="forbid")

    title: Title
    description: Description = None
    status: Status = ItemStatus.pending


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    status: ItemStatus
    created_at: datetime
    updated_at: datetime
