"""Every log record, the service's own and uvicorn's and psycopg's, becomes a document in one
shape and leaves through the sinks (sinks.py): JSON lines on stdout, and OpenSearch when
shipping is on; readable lines on a terminal in development."""

import logging
from collections.abc import Sequence

from ..settings import Settings
from .documents import Document, TraceFields, document_head
from .request_id import current_request_id
from .sinks import LogSink

# What every LogRecord carries by itself; anything else on a record came in through `extra=`
# (but for uvicorn's terminal-colour copy of its message).
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


def log_document(
    record: logging.LogRecord, service: str, trace_fields: TraceFields | None = None
) -> Document:
    """A record as a document: the fields of the seed contract, the trace's ids when a traced
    request logged it, then its extras."""
    document = document_head(
        created=record.created,
        level=record.levelname,
        logger=record.name,
        message=record.getMessage(),
        service=service,
        request_id=getattr(record, "request_id", None) or current_request_id.get(),
    )
    if trace_fields is not None and (ids := trace_fields()):
        document.update(ids)
    for key, value in vars(record).items():
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
            document[key] = value
    if record.exc_info:
        document["exception"] = logging.Formatter().formatException(record.exc_info)
    return document


class SinkHandler(logging.Handler):
    """Makes each record a document once, on the thread that logged it (where the request id
    lives), and gives it to every sink."""

    def __init__(
        self, service: str, sinks: Sequence[LogSink], trace_fields: TraceFields | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.sinks = tuple(sinks)
        self.trace_fields = trace_fields

    def emit(self, record: logging.LogRecord) -> None:
        try:
            document = log_document(record, self.service, self.trace_fields)
            for sink in self.sinks:
                sink.write(document)
        except Exception:  # a log call must never fail the request
            self.handleError(record)

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        super().close()


def configure_logging(
    settings: Settings, sinks: Sequence[LogSink], trace_fields: TraceFields | None = None
) -> None:
    """Route every record through the root logger to `sinks`.

    Idempotent: the handler of an earlier call is replaced (and its sinks closed); others, such
    as pytest's, are kept.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, SinkHandler)]:
        root.removeHandler(handler)
        handler.close()
    root.addHandler(SinkHandler(settings.service_name, sinks, trace_fields))
    root.setLevel(settings.log_level)
    # uvicorn configures its loggers before the app exists: send them through the root instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The access log of ObservabilityMiddleware replaces uvicorn's, with more fields.
    logging.getLogger("uvicorn.access").disabled = True
    # A log document carries no source location, thread or process: skip looking them up for
    # every record, a sixth of what a record costs (see "Optimization" in the logging HOWTO).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
