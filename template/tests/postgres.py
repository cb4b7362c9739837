"""An embedded PostgreSQL server for tests (the pgserver wheel: no system install needed)."""

import shutil
import signal
import tempfile
from pathlib import Path

import psutil
from alembic.config import Config
from pgserver.postgres_server import PostgresServer
from sqlalchemy import make_url

PROJECT_ROOT = Path(__file__).parents[1]


class EmbeddedPostgres:
    """A throwaway PostgreSQL server that a test can stop and start again on the same data."""

    def __init__(self) -> None:
        # Directly under the system temp dir: as root, pgserver runs PostgreSQL as its own user,
        # which must be able to reach the data directory.
        self.data_dir = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self._server = self._start()
        # A Unix socket in the data directory: the URL survives a restart and no TCP port is taken.
        self.url: str = self._server.get_uri()

    def _start(self) -> PostgresServer:
        # A new handle every time: pgserver caches one per directory, which would not notice a
        # server stopped behind its back. Starting re-checks the permissions its user needs.
        return PostgresServer(self.data_dir, cleanup_mode=None)

    def start(self) -> None:
        self._server = self._start()

    def stop(self) -> None:
        """Fast shutdown, by signal: pgserver's own stop runs pg_ctl as its system user, which
        fails once pytest has made its temp root private again."""
        pid = self._server.get_pid()
        if pid is None or not psutil.pid_exists(pid):
            return
        postmaster = psutil.Process(pid)
        postmaster.send_signal(signal.SIGINT)
        postmaster.wait(timeout=30)

    def close(self) -> None:
        """Stop the server and delete its data."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def psycopg_url(url: str) -> str:
    """The URL with SQLAlchemy's psycopg 3 driver selected."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, aimed at the given database."""
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.attributes["database_url"] = psycopg_url(database_url)
    return config
