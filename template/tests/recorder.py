"""An HTTP server on loopback that answers every request with a fixed JSON body (or one a function
of the request gives) and records it: a webhook for Alertmanager's notifications, a stand-in
for a managed OpenSearch whose requests' authentication (or ISM calls) a test reads, or for the
API whose requests' bearer tokens the UI's sign-in tests read."""

import json
import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body, a JSON object (every client here sends one)."""
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass(frozen=True)
class Reply:
    """An answer with another status than 200."""

    status: int
    body: object = None


@contextmanager
def recording_server(
    answer: object | Callable[[Request], object] = None,
) -> Iterator[tuple[str, queue.Queue[Request]]]:
    """Its base URL, and the requests it got, in order; each is answered 200 with `answer`, or
    with what `answer(request)` returns when it is a function."""
    received: queue.Queue[Request] = queue.Queue()

    class Recorder(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(self.command, self.path, headers, self.rfile.read(length))
            received.put(request)
            found = answer(request) if callable(answer) else answer
            status, found = (found.status, found.body) if isinstance(found, Reply) else (200, found)
            body = json.dumps(found if found is not None else {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _record  # noqa: N815 - the base's naming

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads what arrived, not the server's log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
