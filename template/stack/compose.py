"""Compose mode: the stack in containers, where a Docker engine answers."""

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

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


def unawaited_one_shots() -> list[str]:
    """A problem for each one-shot service that `docker compose up --wait` would not wait for,
    in each set of files `up` runs (compose.yaml alone with `--production`, and with the
    development override).

    Each set is read as Compose itself models it (`config --format json`: files merged key by
    key, services of profiles that are off left out), with the placeholders the lint hooks use.
    """
    file_sets = {"production": COMPOSE_FILES[:1], "development": COMPOSE_FILES}
    return [
        f"{problem} (compose files for {name})"
        for name, files in file_sets.items()
        for problem in one_shot_problems(compose_model(files)["services"])
    ]


def compose_model(files: tuple[Path, ...]) -> dict[str, Any]:
    """The project as Compose models it from `files`, offline (no engine needed)."""
    cli = (
        [shutil.which("docker-compose")]
        if shutil.which("docker-compose")
        else ["docker", "compose"]
    )
    env_files = (PROJECT_ROOT / ".env.example", COMPOSE_DIR / "lint.env")
    command = [
        *cli, *(arg for file in files for arg in ("--file", str(file))),
        *(arg for env_file in env_files for arg in ("--env-file", str(env_file))),
        "config", "--format", "json",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def one_shot_problems(services: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A problem for each one-shot among `services` (as Compose models them) that no service
    waits for with `condition: service_completed_successfully`.

    `docker compose up --wait` waits for every service it starts, and counts a container that
    exited, even with 0, as a failure (from Compose v2.8; v2.7 waited forever), unless another
    service depends on it that way (Compose's `getDependencyCondition` in pkg/compose/start.go,
    `isServiceHealthy` in convergence.go, the same through v5.5). A one-shot is a service that
    may stay exited (no restart policy, or `on-failure`) and has no healthcheck of its own.
    """
    awaited = {
        dependency
        for service in services.values()
        for dependency, spec in (service.get("depends_on") or {}).items()
        if spec.get("condition") == COMPLETED
    }
    return [
        f"{name}: a one-shot service (it may stay exited, and has no healthcheck) that nothing"
        f" waits for, so `docker compose up --wait` fails when it exits; give the service that"
        f" needs it `depends_on: {{{name}: {{condition: {COMPLETED}}}}}` (or, if it keeps"
        " running, a restart policy or a healthcheck)"
        for name, service in services.items()
        if _exits_when_done(service) and _started(service) and name not in awaited
    ]


def _exits_when_done(service: Mapping[str, Any]) -> bool:
    policy = ((service.get("deploy") or {}).get("restart_policy") or {}).get("condition")
    restarts = service.get("restart") in {"always", "unless-stopped"} or policy == "any"
    healthcheck = service.get("healthcheck") or {}
    test = healthcheck.get("test") or ["NONE"]
    checked = test[0] != "NONE" and not healthcheck.get("disable")
    return not restarts and not checked


def _started(service: Mapping[str, Any]) -> bool:
    replicas = service.get("scale", (service.get("deploy") or {}).get("replicas", 1))
    return bool(replicas != 0)
