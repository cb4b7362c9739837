"""Where log documents leave the process. Every sink takes finished documents (the records'
and the access log's) and never blocks the request path on I/O; the app's lifespan starts the
sinks and closes them, which writes or ships what they still hold."""

import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from .documents import Document, to_json

URGENT_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})


class LogSink(Protocol):
    def write(self, document: Document) -> None:
        """Take a document; quickly, whatever the destination is doing."""

    def flush(self) -> None:
        """Send on whatever waits, now."""

    def start(self) -> None:
        """Begin work in the background, if the sink has any."""

    def close(self) -> None:
        """Send on what waits and stop; documents written later go out as they come, or not
        at all. Safe to call twice."""


def console_line(document: Document) -> str:
    """A document for people: time, level, logger, message, duration and request id."""
    time = datetime.fromisoformat(document["timestamp"]).astimezone().strftime("%H:%M:%S")
    line = f"{time} {document['level']:<7} {document['logger']}: {document['message']}"
    if (duration := document.get("duration_ms")) is not None:
        line += f" ({duration:.1f} ms)"
    if request_id := document.get("request_id"):
        line += f" [{request_id}]"
    if exception := document.get("exception"):
        line += f"\n{exception}"
    return line


class StdoutSink:
    """One line per document on whatever sys.stdout is at the time (test runners swap it).

    Lines wait here, not in sys.stdout's buffer: images set PYTHONUNBUFFERED, which turns every
    write() into a system call, and a system call per access line cost more than the request's
    metrics and the line itself (docs/decisions.md). Lines are written every `flush_interval_s`
    by a daemon thread, as soon as `max_waiting_lines` wait, at once for warnings and errors,
    and on close (at exit too: the logging handler closes it); after that, as they come.
    """

    def __init__(
        self,
        render: Callable[[Document], str] = to_json,
        *,
        flush_interval_s: float = 0.2,
        max_waiting_lines: int = 256,
    ) -> None:
        self.render = render
        self._waiting: list[str] = []
        self._max_waiting_lines = max_waiting_lines
        self._lock = threading.Lock()  # lines from several threads stay whole and in order
        self._closed = threading.Event()
        self._flush_interval_s = flush_interval_s
        threading.Thread(target=self._flush_until_closed, name="log-flush", daemon=True).start()

    def write(self, document: Document) -> None:
        line = self.render(document)
        with self._lock:
            self._waiting.append(line)
            urgent = document["level"] in URGENT_LEVELS
            if urgent or self._closed.is_set() or len(self._waiting) >= self._max_waiting_lines:
                self._write_waiting()

    def flush(self) -> None:
        with self._lock:
            self._write_waiting()

    def start(self) -> None:
        """Nothing to start: lines are written from the first one on."""

    def close(self) -> None:
        self._closed.set()
        self.flush()

    def _write_waiting(self) -> None:
        # Called with the lock held.
        if self._waiting:
            sys.stdout.write("\n".join(self._waiting) + "\n")
            self._waiting.clear()
        sys.stdout.flush()

    def _flush_until_closed(self) -> None:
        while not self._closed.wait(self._flush_interval_s):
            self.flush()
