"""Liveness (the process answers) and readiness (it can reach its database)."""

import asyncio
import logging
from typing import Literal

import psycopg
from fastapi import APIRouter, Request
from pydantic import BaseModel

from .dependencies import AppSettings, pool_of
from .errors import problem_responses
from .exceptions import DatabaseUnavailableError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/live", summary="Liveness")
async def live() -> HealthStatus:
    return HealthStatus()


@router.get("/ready", summary="Readiness: the database answers", responses=problem_responses(503))
async def ready(request: Request, settings: AppSettings) -> HealthStatus:
    # No check on every checkout (it would cost every request a round trip): a connection that
    # died with a database restart fails once, and the 503 handler has the pool replace the dead.
    try:
        async with (
            asyncio.timeout(settings.readiness_timeout_s),
            pool_of(request).connection() as conn,
        ):
            await conn.execute("SELECT 1")
    except (psycopg.Error, OSError, TimeoutError) as exc:
        logger.warning("readiness check failed: %s", exc)
        raise DatabaseUnavailableError from exc
    return HealthStatus()
