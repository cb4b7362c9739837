"""Security headers on every response (pure ASGI: the headers are added to the response's start
message as it passes, with no per-request task or copy).

- `X-Content-Type-Options: nosniff`: a browser never guesses a type the API did not declare.
- `Cache-Control: no-store`: no browser or proxy keeps an answer, which may be one user's data.
- `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page frames the API or its docs
  (clickjacking); the CSP is the standard, the older header covers the older browsers.

HSTS (`Strict-Transport-Security`) is the job of whatever terminates TLS (the ingress): the API
itself speaks plain HTTP behind it, and a header over plain HTTP is ignored anyway.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Built once: each response only extends its header list with these.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


class SecurityHeadersMiddleware:
    """Add SECURITY_HEADERS to every HTTP response; one a route set itself is left as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers} & _NAMES
                headers.extend(pair for pair in SECURITY_HEADERS if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
