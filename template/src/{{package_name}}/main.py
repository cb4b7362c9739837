"""The application factory: `serve.py` runs it in every worker (`uvicorn --factory` works too)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from . import PROJECT_NAME
from .db import create_pool
from .dependencies import AppState
from .docs import OPENAPI_URL, install_docs
from .errors import install_error_handlers, use_problem_media_type
from .headers import SecurityHeadersMiddleware
from .health import router as health_router
from .items.router import router as items_router
from .limits import BodySizeLimitMiddleware
from .observability.setup import setup as setup_observability
from .observability.tracing import Tracing
from .ratelimit import WriteRateLimitMiddleware
from .settings import Settings


class _App(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Starlette answers an exception no handler took in its ServerErrorMiddleware, which it
        # puts outside every middleware an app adds: the security headers wrap the whole stack,
        # so a 500 carries them too.
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracing = _tracing(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[AppState]:
        # What the app owns lives exactly as long as it. The connection pool opens without
        # waiting: the API starts, and says it is not ready, while the database is down. The
        # log sinks send on what they hold when it stops.
        pool = create_pool(settings, configure=tracing.instrument if tracing else None)
        await pool.open(wait=False)
        with observability.running():
            try:
                yield AppState(settings=settings, pool=pool)
            finally:
                await pool.close()

    app = _App(
        title=PROJECT_NAME,
        lifespan=lifespan,
        # The documentation pages are docs.py's (pinned assets with integrity hashes), and only
        # where settings serve them: in production the schema and pages answer 404.
        openapi_url=OPENAPI_URL if settings.serves_api_docs else None,
        docs_url=None,
        redoc_url=None,
        # The service's metrics and logs are its own (observability/). FastAPI's OpenTelemetry
        # support makes the request spans when tracing is on; off, it is switched off, as it
        # would look up unconfigured providers on every request.
        telemetry=(
            tracing.telemetry()
            if tracing is not None
            else {"tracing": False, "metrics": False, "logs": False}
        ),
    )
    # The last middleware added runs first: every response, a 413 or a CORS preflight included,
    # carries the request id and the CORS headers, and is measured and logged (the security
    # headers are _App's, around everything).
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    if settings.rate_limit_writes_per_minute:  # before the body is read; a 429 gets CORS headers
        app.add_middleware(
            WriteRateLimitMiddleware,
            per_minute=settings.rate_limit_writes_per_minute,
            burst=settings.rate_limit_write_burst,
        )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
        # What a browser's script may read: a 429's headers say when to write again.
        expose_headers=["Location", "X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy"],
    )
    install_error_handlers(app)
    # Routes are matched in order: the busiest first.
    app.include_router(items_router)
    app.include_router(health_router)
    if settings.serves_api_docs:
        install_docs(app)
    _document_problem_media_type(app)
    observability = setup_observability(app, settings, tracing)
    return app


def _tracing(settings: Settings) -> Tracing | None:
    # Off, no Tracing: a worker loads none of the OpenTelemetry SDK.
    return Tracing(settings) if settings.tracing_enabled else None


def _document_problem_media_type(app: FastAPI) -> None:
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = use_problem_media_type(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
