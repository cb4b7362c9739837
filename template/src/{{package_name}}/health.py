"""Liveness (the process answers) and readiness (it can reach its database)."""

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .dependencies import AppSettings, Engine
from .errors import DatabaseUnavailableError, problem_responses

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/live", summary="Liveness")
async def live() -> HealthStatus:
    return HealthStatus()


@router.get("/ready", summary="Readiness: the database answers", responses=problem_responses(503))
async def ready(engine: Engine, settings: AppSettings) -> HealthStatus:
    # No pre-ping on the pool (it would cost every request a round trip): a connection that died
    # with a database restart fails here once, is discarded, and the next probe reconnects.
    try:
        async with asyncio.timeout(settings.readiness_timeout_s), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        logger.warning("readiness check failed: %s", exc)
        raise DatabaseUnavailableError from exc
    return HealthStatus()
