"""The access log: one line per answered request, in the shape of every other log document."""

import logging
import time
from collections.abc import Sequence

from .documents import TraceFields, document_head
from .sinks import LogSink

LOGGER_NAME = "access"
# Where a request's authenticated caller is left in the ASGI scope, for its access line: the
# token's subject, never the token (auth/dependencies.py puts it there).
SUBJECT_SCOPE_KEY = "subject"


class AccessLog:
    """Writes the access line of every request.

    The line is built as a document directly, not as a LogRecord, at under half the cost
    (docs/decisions.md). It starts like every record's document (`documents.document_head`) and
    goes to the same sinks. The `access` logger's level turns it on and off.
    """

    def __init__(
        self, service: str, sinks: Sequence[LogSink], trace_fields: TraceFields | None = None
    ) -> None:
        self.service = service
        self.sinks = tuple(sinks)
        self.trace_fields = trace_fields
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
        subject: str | None = None,
    ) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        document = document_head(
            created=time.time(),
            level="INFO",
            logger=LOGGER_NAME,
            message=f"{method} {path} {status_code}",
            service=self.service,
            request_id=request_id,
        )
        if self.trace_fields is not None and (ids := self.trace_fields()):
            document.update(ids)
        document["method"] = method
        document["path"] = path
        document["status_code"] = status_code
        document["duration_ms"] = duration_ms
        document["client_ip"] = client_ip
        document["user_agent"] = user_agent
        if subject is not None:
            document["subject"] = subject
        for sink in self.sinks:
            sink.write(document)
