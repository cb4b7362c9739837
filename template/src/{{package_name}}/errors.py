"""One error shape for the whole API: RFC 9457 problem details (`application/problem+json`).

The web side of errors: domain code raises the exceptions of `exceptions.py` and never touches
HTTP; the handlers below turn them, and every framework error, into a problem document, so a
client parses a single error format. The OpenAPI document is told so too.
"""

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg import InterfaceError, OperationalError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .dependencies import pool_of
from .exceptions import DatabaseUnavailableError, NotFoundError

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One invalid part of the request."""

    loc: list[str | int] = Field(
        description="Where the error is: body, query or path, then the field"
    )
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Field-level details of a validation error"
    )


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return ProblemResponse(
        problem.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the given error statuses as problem documents."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).description}
        for status in statuses
    }


_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    # Starlette answers 405 with the methods of the first route matching the path only; the Allow
    # header must list those of every route on the path (RFC 9110; Schemathesis checks it). Asking
    # the router which methods would fully match uses its public API only, and runs on 405s alone.
    def routed(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)

    return ", ".join(method for method in _HTTP_METHODS if routed(method))


async def _http_error(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = _allowed_methods(request)
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    return problem_response(request, exc.status_code, detail, headers=headers or None)


async def _validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    errors = [
        FieldError(loc=list(error["loc"]), msg=error["msg"], type=error["type"])
        for error in exc.errors()
    ]
    # Syntax errors are the client's malformed request (400); everything else is a well-formed
    # request with invalid content (422).
    if any(error.type == "json_invalid" for error in errors):
        return problem_response(request, 400, "The request body is not valid JSON.", errors=errors)
    return problem_response(request, 422, "The request is invalid.", errors=errors)


async def _not_found(request: Request, exc: Exception) -> ProblemResponse:
    return problem_response(request, 404, str(exc))


async def _database_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # Lost connections, statement timeouts and an exhausted pool (PoolTimeout is an
    # OperationalError) are the database's trouble, not the client's: 503, retry later.
    logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    # After a database restart every pooled connection is dead: the pool tests its idle ones now
    # and replaces the dead, rather than failing one more request for each of them.
    await pool_of(request).check()
    return problem_response(
        request, 503, "The database is unavailable; retry later.", headers={"Retry-After": "1"}
    )


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    _handle(app, StarletteHTTPException, _http_error)
    _handle(app, RequestValidationError, _validation_error)
    _handle(app, NotFoundError, _not_found)
    for unavailable in (DatabaseUnavailableError, OperationalError, InterfaceError):
        _handle(app, unavailable, _database_unavailable)
    _handle(app, Exception, _unexpected)


def _handle(
    app: FastAPI, exc_class: type[Exception], handler: Callable[[Request, Any], Awaitable[Response]]
) -> None:
    # Starlette types every handler as taking any Exception, though it only passes instances of
    # the class registered; `Any` lets each handler name the exact class it handles.
    app.add_exception_handler(exc_class, handler)


def use_problem_media_type(openapi: dict[str, Any]) -> dict[str, Any]:
    """Document problem responses under `application/problem+json`, the type they are sent with.

    FastAPI files every `responses=` model under the route's own media type (application/json).
    """
    problem_ref = "#/components/schemas/Problem"
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                json_body = content.get("application/json", {})
                if json_body.get("schema", {}).get("$ref") == problem_ref:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return openapi
