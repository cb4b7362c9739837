"""The one way to run the API beside the stack: as native `up` and the image run it (the
`serve` launcher, in BACKEND's command), on a free port, for as long as a block lasts. The
private API of `load` and `contract`, `bench`'s variants and the service's test servers use it."""

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .access import private_api_provider
from .database import throwaway_postgres
from .migrations import migrate
from .processes import Recorded, free_port, is_healthy, running
from .services import BACKEND, PROJECT_ROOT, Env, api_base


@contextmanager
def serving_api(
    env: Mapping[str, str],
    database_url: str,
    log_file: Path,
    *,
    health_path: str = BACKEND.health_path,
    **settings: str,
) -> Iterator[tuple[str, Recorded]]:
    """The API on `database_url` with `settings` (API_WORKERS, OBSERVABILITY, ...) over `env`;
    its base URL and process, once `health_path` answers (by default, once it is ready). Its
    metrics are on a free port too, unless `settings` name one (API_METRICS_PORT)."""
    port = free_port()
    api_env = {
        **env,
        "DATABASE_URL": database_url,
        "API_PORT": str(port),
        "API_METRICS_PORT": str(free_port()),
        **settings,
    }
    base = f"http://127.0.0.1:{port}"
    command = BACKEND.native_command(port, api_env)
    health = f"{base}{health_path}"
    with running(
        command, api_env, health, log_file, cwd=PROJECT_ROOT, timeout_s=BACKEND.startup_timeout_s
    ) as process:
        yield base, process


@dataclass(frozen=True)
class Target:
    """An API that answers, and the environment its clients use (with auth=oidc, the provider
    it trusts: `access.bearer(env)` gets a token from it)."""

    base: str
    env: Env


@contextmanager
def api_target(env: Env) -> Iterator[Target]:
    """An API that answers, for the duration of the block: the one at API_BASE (and the stack's
    provider), or a private one on a throwaway database (no clash with a stack that is up),
    trusting a provider that answers or one of its own (access.private_api_provider)."""
    base = api_base(env)
    if is_healthy(f"{base}{BACKEND.health_path}"):
        print(f"Using the API at {base}.")
        yield Target(base, env)
        return
    print(f"No API answers at {base}: starting a private one.")
    with (
        tempfile.TemporaryDirectory(prefix="api-") as workdir,
        throwaway_postgres() as postgres,
        private_api_provider(env) as (settings, client_env),
    ):
        migrate(env, postgres.url)
        log = Path(workdir) / "api.log"
        with serving_api(env, postgres.url, log, **settings) as (private, _):
            yield Target(private, client_env)
