"""The shape of a log document, whatever wrote it: a LogRecord (logging.py) or the access log
(access.py), on stdout or in OpenSearch."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

# A log line as a flat JSON-ready mapping: document_head's fields first, then the writer's own.
Document = dict[str, Any]
# With tracing on, the current trace's ids as fields (tracing.trace_fields); None outside a trace.
TraceFields = Callable[[], Document | None]


def document_head(
    *, created: float, level: str, logger: str, message: str, service: str, request_id: str | None
) -> Document:
    """The fields every document starts with, in this order; a document's own fields follow."""
    return {
        "timestamp": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "message": message,
        "service": service,
        "request_id": request_id,
    }


def to_json(document: Document) -> str:
    """One line of JSON; values JSON has no type for (a UUID, a set, bytes, an exception) become
    strings, and so do keys that are not (an `extra=` dict keyed by numbers)."""
    return orjson.dumps(document, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
