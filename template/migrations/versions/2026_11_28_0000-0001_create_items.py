"""Create the items table.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

item_status = sa.Enum("pending", "in_progress", "done", name="item_status")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("status", item_status, server_default="pending", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    op.create_index(op.f("ix_items_created_at_id"), "items", ["created_at", "id"])
    op.create_index(op.f("ix_items_status_created_at_id"), "items", ["status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_items_status_created_at_id"), table_name="items")
    op.drop_index(op.f("ix_items_created_at_id"), table_name="items")
    op.drop_table("items")
    item_status.drop(op.get_bind())
