"""An embedded PostgreSQL server for tests (the pgserver wheel: no system install needed)."""

import shutil
import tempfile
from pathlib import Path

import pgserver
from alembic.config import Config
from sqlalchemy import make_url

PROJECT_ROOT = Path(__file__).parents[1]


class EmbeddedPostgres:
    """A throwaway PostgreSQL server that a test can stop and start again on the same data."""

    def __init__(self) -> None:
        # Directly under the system temp dir: as root, pgserver runs PostgreSQL as its own user,
        # which must be able to reach the data directory.
        self.data_dir = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        # A Unix socket in the data directory: the URL survives a restart and no TCP port is taken.
        self.url: str = self._server.get_uri()

    def stop(self) -> None:
        self._server.cleanup()

    def start(self) -> None:
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")

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
