"""uvicorn's HTTP/1.1 protocol (httptools), with a small response sent at once and deadlines on
each request's headers and body.

uvicorn writes a response's status line and headers as soon as the app starts the response, and
its body when the app sends it. uvloop sends a write at once when nothing is waiting to go, so a
small response mostly left as two sends, two TCP segments and two wake-ups of the client
(strace: 1.8 writes per response). Here small writes made in one turn of the event loop are
joined and leave in one send at the end of the turn (`CoalescingTransport`). It holds at most
`COALESCE_LIMIT` bytes: a larger write first sends what is held, then goes straight to the
socket's transport, so the transport's flow control (pause_writing) sees every byte of a large
or streamed response as soon as the app sends it. The figures are in docs/decisions.md.

uvicorn closes a connection idle between requests (its keep-alive timeout), but it gives no
deadline to a request that has begun: a client that sends its headers a byte at a time, or a
connection that never sends anything, holds a connection and its memory for as long as it
likes. Enough of them exhaust a worker's connections (a slowloris attack). Here:

- a request's line and headers must be complete within `header_timeout_s` of the connection
  being made or of the request's first byte (a bare CRLF between requests counts);
- while its body is being received, each part must arrive within `body_timeout_s` of the last;
- its line and headers may take at most `MAX_HEADER_BYTES`, or it is answered 431 and closed.
  httptools keeps a header value's parts until the value ends, and uvicorn the URL's, with no
  bound of their own: without one, a client could grow a worker's memory by sending one endless
  header.

Either clock waits while the server itself holds reading back (a request pipelined behind one
being answered, or a body the app has not read yet): the client is not late then. A client that
misses a deadline has its connection closed. The body's size is the app's to bound (limits.py).
"""

import asyncio
from collections.abc import Iterable
from typing import Any

from uvicorn import Config
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

# nginx's client_header_timeout defaults to 60 s; a service behind a proxy can afford less.
DEFAULT_HEADER_TIMEOUT_S = 10.0
# Between two parts of a request's body (nginx's client_body_timeout: 60 s).
DEFAULT_BODY_TIMEOUT_S = 30.0
# How long stopping waits for requests in flight: below Kubernetes' default 30 s grace period,
# less the preStop pause, so the server stops by itself before it is killed.
DEFAULT_SHUTDOWN_TIMEOUT_S = 20
# How long a new worker may take to import and start its app.
DEFAULT_STARTUP_TIMEOUT_S = 60.0
# The most a connection's transport holds back to join writes: a small response whole. A larger
# write goes out at once.
COALESCE_LIMIT = 16 * 1024
# A request's line and headers: twice what a JWT and a few cookies take. nginx's default allows
# 4 buffers of 8 KiB for them, Node.js 16 KiB; a proxy in front usually refuses less than this.
MAX_HEADER_BYTES = 64 * 1024


class ServerConfig(Config):
    """How the service's server runs, as uvicorn's configuration: `app` (an app factory's import
    path) on uvloop where it installs (not on Windows), with this module's protocol, and its
    metrics on a port of their own, on the same host. The deadlines travel to the worker
    processes with the configuration."""

    def __init__(
        self,
        app: str,
        *,
        host: str,
        port: int,
        metrics_port: int,
        workers: int,
        header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
        body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
        shutdown_timeout_s: int = DEFAULT_SHUTDOWN_TIMEOUT_S,
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
    ) -> None:
        super().__init__(
            app,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="auto",
            http=DeadlineProtocol,
            access_log=False,  # ObservabilityMiddleware logs every request, with more fields
            proxy_headers=True,
            server_header=False,  # no need to tell every client which server software answers
            timeout_graceful_shutdown=shutdown_timeout_s,
        )
        self.metrics_port = metrics_port
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        self.startup_timeout_s = startup_timeout_s


class CoalescingTransport(asyncio.Transport):
    """The transport of a connection, whose small writes made in one turn of the event loop
    leave in one send at the end of the turn. Only the calls it defines are offered."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.transport = transport
        self.loop = loop
        self.pending: list[bytes] = []
        self.pending_size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.pending_size + len(data) > COALESCE_LIMIT:
            self.flush()
            self.transport.write(data)
            return
        if not self.pending:
            self.loop.call_soon(self.flush)
        self.pending.append(bytes(data))
        self.pending_size += len(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Hand what is held to the socket's transport."""
        if not self.pending:
            return
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending = []
        self.pending_size = 0
        if not self.transport.is_closing():
            self.transport.write(data)

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def can_write_eof(self) -> bool:
        return self.transport.can_write_eof()

    def get_write_buffer_size(self) -> int:
        return self.pending_size + self.transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self.transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.transport.set_write_buffer_limits(high, low)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self.pending = []
        self.pending_size = 0
        self.transport.abort()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def pause_reading(self) -> None:
        self.transport.pause_reading()

    def resume_reading(self) -> None:
        self.transport.resume_reading()

    def is_reading(self) -> bool:
        return self.transport.is_reading()

    def get_extra_info(self, name: str, default: Any = None) -> Any:  # noqa: ANN401 - asyncio's
        return self.transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self.transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.transport.get_protocol()


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CoalescingTransport`, with the header and body
    deadlines."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        server = config if isinstance(config, ServerConfig) else None
        self.header_timeout_s = server.header_timeout_s if server else DEFAULT_HEADER_TIMEOUT_S
        self.body_timeout_s = server.body_timeout_s if server else DEFAULT_BODY_TIMEOUT_S
        self.deadline: asyncio.TimerHandle | None = None
        self.receiving_body = False
        # The bytes of the request whose headers are being received, counted from the first
        # chunk after the one it began in (the parser gives no offsets within a chunk, and a
        # chunk may hold many pipelined requests): a chunk's size above the limit at most.
        self.reading_headers = False
        self.began_in_this_chunk = False
        self.header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(self.coalescing)
        self._start_clock(self.header_timeout_s)

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and not self.receiving_body:
            # Any byte of a new request starts its header clock, a bare CRLF too (the parser
            # skips those without beginning a message).
            self._start_clock(self.header_timeout_s)
        self.began_in_this_chunk = False
        super().data_received(data)
        if self.receiving_body:  # a part of the body: the next must come in time
            self._stop_clock()
            self._start_clock(self.body_timeout_s)
        elif self.reading_headers and not self.began_in_this_chunk:
            self.header_bytes += len(data)
            if self.header_bytes > MAX_HEADER_BYTES:
                self._refuse_headers()

    def eof_received(self) -> None:
        # The client is done sending; the transport closes when this returns. What is held goes
        # first, so that a response the app has written is delivered.
        self.coalescing.flush()
        super().eof_received()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.reading_headers = True
        self.began_in_this_chunk = True
        self.header_bytes = 0
        # A request pipelined behind another, in the same bytes: from its first byte.
        self._start_clock(self.header_timeout_s)

    def on_headers_complete(self) -> None:
        self._stop_clock()
        self.reading_headers = False
        self.receiving_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_clock()
        self.receiving_body = False
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_clock()  # the connection is the WebSocket protocol's from here
        self.receiving_body = False
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def _refuse_headers(self) -> None:
        self._stop_clock()
        self.reading_headers = False
        if self.transport.is_closing():
            return
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is None or cycle.response_complete:
            # As uvicorn answers a malformed request (send_400_response).
            message = b"Request header fields too large."
            head = [STATUS_LINE[431]]
            for name, value in self.server_state.default_headers:
                head.extend([name, b": ", value, b"\r\n"])
            head.append(b"content-type: text/plain; charset=utf-8\r\n")
            head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(message))
            self.transport.write(b"".join(head) + message)
        # Else the answer to a request before it is still being written: no room for a 431.
        self.logger.debug("A request's headers passed %d bytes: closing.", MAX_HEADER_BYTES)
        self.transport.close()

    def _start_clock(self, timeout_s: float) -> None:
        if self.deadline is None:
            self.deadline = self.loop.call_later(timeout_s, self._deadline_passed, timeout_s)

    def _stop_clock(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _deadline_passed(self, timeout_s: float) -> None:
        self.deadline = None
        cycle: RequestResponseCycle | None = self.cycle  # None before the first request
        answering = cycle is not None and not cycle.response_complete
        if self.flow.read_paused or (answering and not self.receiving_body):
            # The server holds reading back (pipelining, a body the app has not read), or is
            # still answering the last request (a bare CRLF after it started this clock): the
            # client is not late. The clock starts again.
            self._start_clock(timeout_s)
            return
        if not self.transport.is_closing():
            # At debug level: a flood of slow clients must not become a flood of log lines.
            self.logger.debug("A request took over %ss to arrive: closing.", timeout_s)
            self.transport.close()
