"""Liveness (the process answers) and readiness (it can reach its database)."""

import asyncio
import logging
from typing import Literal

import psycopg
from fastapi import APIRouter
from pydantic import BaseModel

from .db import database_answers
from .dependencies import AppSettings
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
async def ready(settings: AppSettings) -> HealthStatus:
    # On a connection of its own (db.database_answers), not the request pool's. The 503 handler
    # then has the pool test its idle connections, which a database restart leaves dead.
    try:
        async with asyncio.timeout(settings.readiness_timeout_s):
            await database_answers(settings)
    except (psycopg.Error, OSError, TimeoutError) as exc:
        logger.warning("readiness check failed: %s", exc)
        raise DatabaseUnavailableError from exc
    return HealthStatus()
