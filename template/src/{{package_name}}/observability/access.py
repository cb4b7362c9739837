"""The access log: one line per answered request, in the shape of every other log document."""

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from .documents import document_head

LOGGER_NAME = "access"

# Where a finished log document goes: stdout, the log shipper's queue.
DocumentOutput = Callable[[dict[str, Any]], None]


class AccessLog:
    """Writes the access line of every request.

    The line is built as a document directly, not as a LogRecord: the record, its filters and
    the formatter cost ~27 µs a request (measured in process), over half of what observability
    cost; built directly it costs ~12 µs. It starts like every record's document
    (`documents.document_head`) and goes to the same places. Without `outputs` (the readable
    console of development) the line goes through `logging` as usual. Either way the `access`
    logger's level turns it on and off.
    """

    def __init__(self, service: str, outputs: Sequence[DocumentOutput] | None = None) -> None:
        self.service = service
        self.outputs = outputs
        self.logger = logging.getLogger(LOGGER_NAME)

    def __call__(
        self,
        *,
        request_id: str,
        method: str,
        path: str,
        status_code: int,
        duration_ms: float,
        client_ip: str | None,
        user_agent: str | None,
    ) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        message = f"{method} {path} {status_code}"
        fields = {
            "request_id": request_id,
            "method": method,
            "path": path,
            "status_code": status_code,
            "duration_ms": duration_ms,
            "client_ip": client_ip,
            "user_agent": user_agent,
        }
        if self.outputs is None:
            self.logger.info(message, extra=fields)
            return
        document = document_head(
            created=time.time(),
            level="INFO",
            logger=LOGGER_NAME,
            message=message,
            service=self.service,
            request_id=request_id,
        )
        document.update(fields)
        for output in self.outputs:
            output(document)
