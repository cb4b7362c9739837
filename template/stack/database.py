"""The stack's PostgreSQL in native mode: DATABASE_URL's server, or an embedded one whose data
lives in the git-ignored state folder (so it survives `down`/`up`)."""

import signal
from pathlib import Path

import pgserver
import psycopg
from psycopg import sql

from .processes import Recorded, stop


def start_embedded(data_dir: Path, database: str) -> tuple[str, Recorded]:
    """Start (or find running) PostgreSQL on `data_dir`; its URL for `database`, and its process.

    It listens on a Unix socket in the data directory only: no TCP port, so a PostgreSQL already
    on 5432 never gets in the way.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)  # outlives this process
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
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


def stop_embedded(recorded: Recorded) -> None:
    # SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed cleanly.
    stop(recorded, signal.SIGINT, timeout_s=30.0)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq reads it (psycopg, pgbench): without the driver name."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def exporter_dsn(url: str) -> str:
    """The DATA_SOURCE_NAME postgres-exporter needs for the same database (a Unix socket stays
    a `host=` parameter)."""
    plain = libpq_url(url)
    return plain + ("&" if "?" in plain else "?") + "sslmode=disable"
