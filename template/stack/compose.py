"""Compose mode: the stack in containers, where a Docker engine answers."""

import shutil
import subprocess
from urllib.parse import quote

from .services import PROJECT_ROOT, Env

COMPOSE_DIR = PROJECT_ROOT / "compose"


def engine_answers() -> bool:
    """True when a Docker engine (not just the client) is reachable."""
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "info"],  # noqa: S607 - the user's docker CLI, wherever it is
            capture_output=True,
            timeout=10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def compose(*args: str, development: bool = True) -> int:
    """Run `docker compose` on the project's compose files and `.env`; its exit code.

    Development adds compose.override.yaml: source bind-mounted, reloaded on change.
    """
    files = ["compose.yaml", *(["compose.override.yaml"] if development else [])]
    command = [
        "docker", "compose", *(arg for name in files for arg in ("--file", str(COMPOSE_DIR / name))),
        "--env-file", str(PROJECT_ROOT / ".env"), *args,
    ]  # fmt: skip
    return subprocess.run(command, check=False).returncode  # noqa: S603


def database_url(env: Env) -> str:
    """The Compose database as this machine reaches it: its port is published on loopback."""
    user, database = env.get("POSTGRES_USER") or "app", env.get("POSTGRES_DB") or "app"
    password = quote(env.get("POSTGRES_PASSWORD", ""), safe="")
    port = env.get("POSTGRES_PORT") or "5432"
    return f"postgresql://{quote(user, safe='')}:{password}@127.0.0.1:{port}/{quote(database)}"
