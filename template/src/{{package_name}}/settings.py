"""Runtime configuration, read from the environment (and a local, git-ignored `.env`)."""

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import SERVICE_NAME

_DRIVER_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class Settings(BaseSettings):
    """Every knob of the API; the environment variable is the field name in upper case."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    service_name: str = SERVICE_NAME

    # A libpq-style URL; the psycopg 3 driver is selected here so users can paste a plain one.
    database_url: str = Field(min_length=1)
    db_pool_size: int = Field(default=8, ge=1)
    db_max_overflow: int = Field(default=4, ge=0)
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_connect_timeout_s: int = Field(default=5, ge=1)
    db_statement_timeout_ms: int = Field(default=5_000, ge=0)

    # Comma-separated in the environment: CORS_ORIGINS=http://localhost:8501,https://example.com
    cors_origins: Annotated[list[str], NoDecode] = ["http://localhost:8501"]
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=0)
    readiness_timeout_s: float = Field(default=2.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str) -> str:
        for scheme in _DRIVER_SCHEMES:
            if value.startswith(scheme):
                return "postgresql+psycopg://" + value.removeprefix(scheme)
        msg = f"DATABASE_URL must start with one of {', '.join(_DRIVER_SCHEMES)}"
        raise ValueError(msg)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value
