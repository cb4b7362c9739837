"""uvicorn's HTTP/1.1 protocol (httptools), with each response sent at once and a deadline on
each request's line and headers.

uvicorn writes a response's status line and headers as soon as the app starts the response, and
its body when the app sends it. uvloop sends a write at once when nothing is waiting to go, so a
response mostly left as two sends, two TCP segments and two wake-ups of the client (strace: 1.8
writes per response). Here the writes made in one turn of the event loop are joined and leave in
one send (`CoalescingTransport`; the figures are in docs/decisions.md).

uvicorn closes a connection idle between requests (its keep-alive timeout), but it gives no
deadline to a request that has begun: a client that sends its headers a byte at a time, or a
connection that never sends anything, holds a connection and its memory for as long as it
likes. Enough of them exhaust a worker's connections (a slowloris attack). Here, the request
line and headers must be complete within `header_timeout_s` of the connection being made or of
the request's first byte; otherwise the connection is closed. The body is the app's to bound
(limits.py caps its size).
"""

import asyncio
from collections.abc import Iterable
from typing import Any

from uvicorn import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

# nginx's client_header_timeout defaults to 60 s; a service behind a proxy can afford less.
DEFAULT_HEADER_TIMEOUT_S = 10.0


class ServerConfig(Config):
    """How the service's server runs, as uvicorn's configuration: `app` (an app factory's import
    path) on uvloop where it installs (not on Windows), with this module's protocol. The header
    deadline travels to the worker processes with the configuration."""

    def __init__(
        self, app: str, *, host: str, port: int, workers: int, header_timeout_s: float
    ) -> None:
        super().__init__(
            app,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="auto",
            http=HeaderDeadlineProtocol,
            access_log=False,  # ObservabilityMiddleware logs every request, with more fields
            proxy_headers=True,
            server_header=False,  # no need to tell every client which server software answers
        )
        self.header_timeout_s = header_timeout_s


class CoalescingTransport:
    """A transport whose writes made in one turn of the event loop leave in one send, at the
    end of the turn; in every other respect the transport it wraps."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self.pending:
            self.loop.call_soon(self.flush)
        self.pending.append(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if not self.pending:
            return
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending = []
        if not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> object:
        return getattr(self.transport, name)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CoalescingTransport`, with the header deadline."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout_s = (
            config.header_timeout_s
            if isinstance(config, ServerConfig)
            else DEFAULT_HEADER_TIMEOUT_S
        )
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)  # type: ignore[arg-type]
        self._start_header_clock()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # The next request on a kept-alive connection: from its first byte. On a new
        # connection, the clock started when it was made and keeps running.
        self._start_header_clock()

    def on_headers_complete(self) -> None:
        self._stop_header_clock()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def _start_header_clock(self) -> None:
        if self.header_deadline is None:
            self.header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _stop_header_clock(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_late(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            # At debug level: a flood of slow clients must not become a flood of log lines.
            self.logger.debug("Request headers took over %ss: closing.", self.header_timeout_s)
            self.transport.close()
