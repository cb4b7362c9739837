"""The application factory: `uvicorn --factory <package>.main:create_app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import PROJECT_NAME
from .db import create_engine
from .errors import install_error_handlers, use_problem_media_type
from .health import router as health_router
from .items.router import router as items_router
from .limits import BodySizeLimitMiddleware
from .observability.request_id import RequestIdMiddleware
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The engine lives exactly as long as the app: created on startup, its pool closed on shutdown.
        app.state.engine = create_engine(settings)
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(title=PROJECT_NAME, lifespan=lifespan)
    app.state.settings = settings
    # The last middleware added runs first: every response, a 413 or a CORS preflight included,
    # carries the request id and the CORS headers.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
        expose_headers=["Location", "X-Request-ID"],
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(items_router)
    _document_problem_media_type(app)
    return app


def _document_problem_media_type(app: FastAPI) -> None:
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = use_problem_media_type(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
