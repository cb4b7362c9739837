"""One pure ASGI middleware for everything observed per request: the request id, the metrics
and the access log line. One pass, no per-request task (BaseHTTPMiddleware would add one)."""

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .access import SUBJECT_SCOPE_KEY, AccessLog
from .metrics import EXCEPTIONS, answered, in_progress
from .request_id import HEADER, accepted_or_new, current_request_id


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, access_log: AccessLog) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid = accepted_or_new(headers.get(b"x-request-id", b"").decode("latin-1"))
        token = current_request_id.set(rid)
        method = scope["method"]
        status_code = 500  # what the client gets if the app fails before answering
        start = time.perf_counter()

        async def send_observed(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        requests_in_progress = in_progress(method)
        requests_in_progress.inc()
        try:
            await self.app(scope, receive, send_observed)
        except Exception as exc:
            EXCEPTIONS.labels(type(exc).__name__).inc()
            raise
        finally:
            elapsed = time.perf_counter() - start
            requests_in_progress.dec()
            requests, duration = answered(method, _route_template(scope, status_code), status_code)
            requests.inc()
            duration.observe(elapsed)
            self.access_log(
                request_id=rid,
                method=method,
                path=scope["path"],
                status_code=status_code,
                duration_ms=round(elapsed * 1000, 3),
                client_ip=scope["client"][0] if scope.get("client") else None,
                user_agent=headers.get(b"user-agent", b"").decode("latin-1") or None,
                subject=scope.get(SUBJECT_SCOPE_KEY),
            )
            current_request_id.reset(token)


def _route_template(scope: Scope, status_code: int) -> str:
    # FastAPI leaves the matched route in the scope; its path is the template.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "unmatched" if status_code == 404 else "other"
