"""An embedded PostgreSQL server for tests: the stack's own (no system install needed)."""

import shutil
import tempfile
from pathlib import Path

from alembic.config import Config
from sqlalchemy import make_url
from stack.database import start_embedded, stop_embedded
from stack.processes import Recorded

PROJECT_ROOT = Path(__file__).parents[1]


class EmbeddedPostgres:
    """A throwaway PostgreSQL server that a test can stop and start again on the same data."""

    def __init__(self) -> None:
        # Directly under the system temp dir: as root, PostgreSQL runs as a user of its own,
        # which must be able to reach the data directory.
        self.data_dir = Path(tempfile.mkdtemp(prefix="pgtest-")) / "data"
        self.url: str
        self._process: Recorded
        self.start()

    def start(self) -> None:
        # A Unix socket in the data directory (a free loopback port on Windows): no well-known
        # port is taken, and on Linux and macOS the URL survives a restart.
        self.url, self._process = start_embedded(self.data_dir, "postgres")

    def stop(self) -> None:
        stop_embedded(self._process, self.data_dir)

    def close(self) -> None:
        """Stop the server and delete its data."""
        self.stop()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def psycopg_url(url: str) -> str:
    """The URL with SQLAlchemy's psycopg 3 driver selected."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, aimed at the given database."""
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.attributes["database_url"] = psycopg_url(database_url)
    return config
