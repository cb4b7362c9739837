"""Compose mode: the stack in containers, where a Docker engine answers."""

import shutil
import subprocess

from .services import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "compose" / "compose.yaml"


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


def compose(*args: str) -> int:
    """Run `docker compose` on the project's compose file and `.env`; its exit code."""
    command = [
        "docker", "compose", "--project-directory", str(PROJECT_ROOT),
        "--file", str(COMPOSE_FILE), "--env-file", str(PROJECT_ROOT / ".env"), *args,
    ]  # fmt: skip
    return subprocess.run(command, check=False).returncode  # noqa: S603
