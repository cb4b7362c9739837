"""Every table the service owns, gathered in one metadata (what Alembic compares migrations to)."""

from .db import Base
from .items.models import Item

metadata = Base.metadata

__all__ = ["Item", "metadata"]
