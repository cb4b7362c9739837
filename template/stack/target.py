"""An API to point a tool at (Schemathesis, k6): the one at API_BASE when it answers, otherwise a
private instance on an embedded PostgreSQL that lives exactly as long as the tool's run."""

import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .database import start_embedded, stop_embedded
from .migrations import migrate
from .processes import is_healthy, spawn, stop, tail, wait_healthy
from .services import BACKEND, PROJECT_ROOT, Env


def api_base(env: Env) -> str:
    return (env.get("API_BASE") or f"http://127.0.0.1:{BACKEND.port(env)}").rstrip("/")


@contextmanager
def api_target(env: Env) -> Iterator[str]:
    """The base URL of an API that answers, for the duration of the block."""
    base = api_base(env)
    if is_healthy(f"{base}{BACKEND.health_path}"):
        print(f"Using the API at {base}.")
        yield base
        return
    print(f"No API answers at {base}: starting a private one.")
    with _private_api(env) as private:
        yield private


@contextmanager
def _private_api(env: Env) -> Iterator[str]:
    # A free port of its own and a throwaway database: no clash with a stack that is up.
    workdir = Path(tempfile.mkdtemp(prefix="api-"))
    database_url, postgres = start_embedded(workdir / "postgres", "app")
    api = None
    try:
        migrate(env, database_url)
        port = free_port()
        api_env = {**env, "DATABASE_URL": database_url, "API_PORT": str(port)}
        log = workdir / "api.log"
        api = spawn(BACKEND.native_command(port, api_env), api_env, log, PROJECT_ROOT)
        base = f"http://127.0.0.1:{port}"
        if not wait_healthy(f"{base}{BACKEND.health_path}", api, BACKEND.startup_timeout_s):
            msg = f"the private API did not start; its last log lines:\n{tail(log)}"
            raise RuntimeError(msg)
        yield base
    finally:
        if api is not None:
            stop(api)
        stop_embedded(postgres, workdir / "postgres")
        shutil.rmtree(workdir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
