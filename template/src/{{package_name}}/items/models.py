"""The `items` table."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .domain import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, ItemStatus


class Item(Base):
    __tablename__ = "items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX_LENGTH))
    status: Mapped[ItemStatus] = mapped_column(
        Enum(ItemStatus, name="item_status", values_callable=lambda e: [m.value for m in e]),
        server_default=ItemStatus.pending.value,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # The list endpoint pages in (created_at, id) order, oldest or newest first, optionally
        # within one status: each is read straight from an index, forwards or backwards, no sort.
        Index(None, "created_at", "id"),
        Index(None, "status", "created_at", "id"),
    )
