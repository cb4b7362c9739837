"""Logs as JSON on stdout, one object per line: the service's own records, the access log and
uvicorn's and psycopg's, all in the same shape. On a terminal in development, readable text.
"""

import logging
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..settings import Settings
from .access import AccessLog
from .documents import document_head, to_json
from .middleware import request_id

# What every LogRecord carries by itself; anything else on a record came in through `extra=`
# (but for uvicorn's terminal-colour copy of its message).
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}
_OURS = "_observability_handler"  # marks the handlers this module installed


def log_document(record: logging.LogRecord, service: str) -> dict[str, Any]:
    """A record as a flat JSON-ready document: the fields of the seed contract, then extras."""
    document = document_head(
        created=record.created,
        level=record.levelname,
        logger=record.name,
        message=record.getMessage(),
        service=service,
        request_id=getattr(record, "request_id", None),
    )
    for key, value in vars(record).items():
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
            document[key] = value
    if record.exc_info:
        document["exception"] = logging.Formatter().formatException(record.exc_info)
    return document


class DocumentHandler(logging.Handler):
    """A handler that also takes finished log documents (the access log's, see access.py)."""

    def emit_document(self, document: dict[str, Any]) -> None:
        raise NotImplementedError


class StdoutHandler(DocumentHandler):
    """One line per record on whatever sys.stdout is at the time (test runners swap it).

    Lines wait in this handler, not in sys.stdout's buffer: images set PYTHONUNBUFFERED, which
    turns every write() into a system call, and a system call per access line cost the API ~60 µs
    a request, more than its metrics and the line itself (side by side in the real server: 0.929
    -> 0.868 ms of CPU per request). Lines are written every `flush_interval_s` by a daemon
    thread, as soon as `max_waiting_lines` wait, at once for warnings and errors, and when the
    handler is closed (at exit too: `logging.shutdown`); after that, as they come.
    """

    def __init__(self, flush_interval_s: float = 0.2, max_waiting_lines: int = 256) -> None:
        super().__init__()
        self._waiting: list[str] = []
        self._max_waiting_lines = max_waiting_lines
        self._stop_flushing = threading.Event()
        self._flush_interval_s = flush_interval_s
        threading.Thread(target=self._flush_until_closed, name="log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._add(self.format(record), write_now=record.levelno >= logging.WARNING)
        except Exception:
            self.handleError(record)

    def emit_document(self, document: dict[str, Any]) -> None:
        self._add(to_json(document), write_now=False)

    def flush(self) -> None:
        self.acquire()
        try:
            self._write_waiting()
        finally:
            self.release()

    def close(self) -> None:
        self._stop_flushing.set()
        self.flush()
        super().close()

    def _add(self, line: str, *, write_now: bool) -> None:
        self.acquire()  # lines from several threads stay whole and in order
        try:
            self._waiting.append(line)
            # Once closed, nothing flushes later: whatever still comes (an app built with an
            # earlier configure_logging keeps its handlers) is written as it comes.
            closed = self._stop_flushing.is_set()
            if write_now or closed or len(self._waiting) >= self._max_waiting_lines:
                self._write_waiting()
        finally:
            self.release()

    def _write_waiting(self) -> None:
        # Called with the lock held.
        if self._waiting:
            sys.stdout.write("\n".join(self._waiting) + "\n")
            self._waiting.clear()
        sys.stdout.flush()

    def _flush_until_closed(self) -> None:
        while not self._stop_flushing.wait(self._flush_interval_s):
            self.flush()


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request it belongs to, on the thread that logged it (a
    formatter or a shipper running later would no longer see the request's context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        return to_json(log_document(record, self.service))


class ConsoleFormatter(logging.Formatter):
    """For people: time, level, logger, message, and the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        duration = getattr(record, "duration_ms", None)
        if duration is not None:
            line += f" ({duration:.1f} ms)"
        rid = getattr(record, "request_id", None)
        return f"{line} [{rid}]" if rid else line


def configure_logging(
    settings: Settings, extra_handlers: Sequence[DocumentHandler] = ()
) -> AccessLog:
    """Route every record through the root logger to stdout (and `extra_handlers`), and return
    the access log that writes to the same places.

    Idempotent: handlers installed by an earlier call are replaced; others (pytest's) are kept.
    """
    console = StdoutHandler()
    readable = settings.environment == "development" and sys.stdout.isatty()
    console.setFormatter(ConsoleFormatter() if readable else JsonFormatter(settings.service_name))
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    for handler in (console, *extra_handlers):
        setattr(handler, _OURS, True)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
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
    if readable:
        return AccessLog(settings.service_name)
    outputs = [handler.emit_document for handler in (console, *extra_handlers)]
    return AccessLog(settings.service_name, outputs)
