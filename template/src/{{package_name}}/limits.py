"""A cap on request body size, enforced before the body is buffered (pure ASGI: no per-request
task or copy, unlike BaseHTTPMiddleware)."""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem_response


class BodySizeLimitMiddleware:
    """Answer 413 for a body over `max_bytes`: at once when Content-Length announces it, or as
    soon as a streamed (chunked) body crosses the limit.

    FastAPI's own `max_body_size` answers a too-long Content-Length in plain text; this keeps
    the 413 a problem document like every other error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"The request body is larger than {max_bytes} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(Request(scope), 413, self.detail)
            await response(scope, receive, send)
            return

        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read: the error handlers turn it into a 413.
                    raise HTTPException(413, self.detail)
            return message

        await self.app(scope, receive_within_limit, send)
