"""Compose mode: the stack in containers, where a Docker engine answers."""

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from .services import PROJECT_ROOT, Env

COMPOSE_DIR = PROJECT_ROOT / "compose"
COMPOSE_FILES = (COMPOSE_DIR / "compose.yaml", COMPOSE_DIR / "compose.override.yaml")
COMPLETED = "service_completed_successfully"


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


def unawaited_one_shots(files: tuple[Path, ...] = COMPOSE_FILES) -> list[str]:
    """A problem for each one-shot service of `up` that no service waits for to complete.

    `docker compose up --wait` waits for every service it starts. It counts a container that
    exited, even with 0, as a failure, unless another service depends on it with
    `condition: service_completed_successfully` (Compose's `getDependencyCondition` in
    pkg/compose/start.go and `isServiceHealthy` in convergence.go, the same from v2.7 through
    v5.5). A one-shot is a service that may stay exited (no restart policy, or `on-failure`) and
    has no healthcheck; one behind a profile is not started by `up`.
    """
    services: dict[str, dict[str, Any]] = {}
    for file in files:
        if file.exists():
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for name, service in (document.get("services") or {}).items():
                services.setdefault(name, {}).update(service or {})
    awaited = {
        dependency
        for service in services.values()
        for dependency, condition in _dependencies(service).items()
        if condition == COMPLETED
    }
    return [
        f"{name}: a one-shot service (it may stay exited, and has no healthcheck) that nothing waits"
        f" for, so `docker compose up --wait` fails when it exits; give the service that needs"
        f" it `depends_on: {{{name}: {{condition: {COMPLETED}}}}}` (or, if it keeps running, a"
        " restart policy or a healthcheck)"
        for name, service in services.items()
        if _exits_when_done(service) and not service.get("profiles") and name not in awaited
    ]


def _dependencies(service: Mapping[str, Any]) -> dict[str, str]:
    """Each dependency's condition; the short list form means `service_started`."""
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {
        name: (spec or {}).get("condition", "service_started") for name, spec in depends_on.items()
    }


def _exits_when_done(service: Mapping[str, Any]) -> bool:
    healthcheck = service.get("healthcheck") or {}
    test = healthcheck.get("test") or ["NONE"]
    checked = test[0] != "NONE" and not healthcheck.get("disable")
    restarts = str(service.get("restart", "no")) in {"always", "unless-stopped"}
    return not restarts and not checked
