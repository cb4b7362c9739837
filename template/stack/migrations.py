"""Bringing a database's schema to head with the project's Alembic migrations."""

import subprocess
import sys

from .services import PROJECT_ROOT, Env


class MigrationError(Exception):
    """`alembic upgrade head` failed; the message carries its output."""


def migrate(env: Env, database_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        env={**env, "DATABASE_URL": database_url},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        msg = f"migrations failed:\n{result.stderr[-2000:]}"
        raise MigrationError(msg)
