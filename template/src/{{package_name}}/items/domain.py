"""What an item is, independent of storage and transport: shared by the table and the API schemas."""

from enum import StrEnum

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class ItemStatus(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    done = "done"
