"""`alembic upgrade head` as the chart's migration hook runs it, with DB_WAIT_S: on a first
install the database may come up after the chart. Against a host that never answers, the hook
ends within its bound and says why; against a database that comes up later, it waits and
migrates."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from stack.database import throwaway_postgres

PROJECT_ROOT = Path(__file__).parents[1]
HOOK = [sys.executable, "-m", "alembic", "upgrade", "head"]
PASSWORD = "never-printed"  # noqa: S105 (a placeholder that must not appear in any output)
# A GitOps first sync: CloudNativePG's Secret exists at once, its primary some time later.
COMES_UP_AFTER_S = 20.0
WAITING = "The database does not accept connections yet"


def hook_env(database_url: str, **settings: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, **settings}


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port whose connections the kernel accepts and nobody ever answers: what a database
    behind a firewall that drops packets, or a host still booting, looks like to libpq."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_against_a_host_that_never_answers_the_hook_ends_within_its_bound(
    black_hole: int,
) -> None:
    wait_s, connect_timeout_s = 3, 1
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:{black_hole}/app"
    env = hook_env(url, DB_WAIT_S=str(wait_s), DB_CONNECT_TIMEOUT_S=str(connect_timeout_s))

    # Without a bound, libpq would wait for the server's answer forever.
    result = subprocess.run(
        HOOK,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=wait_s + connect_timeout_s + 30,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "The database did not accept connections within DB_WAIT_S=3 s "
        "(each attempt DB_CONNECT_TIMEOUT_S=1 s): "
    ), output
    assert "timeout expired" in last_line
    assert "retrying" in output
    assert "Traceback" not in output
    assert PASSWORD not in output


def test_the_hook_waits_for_a_database_that_comes_up_later(tmp_path: Path) -> None:
    log = tmp_path / "hook.log"
    with throwaway_postgres() as server:
        server.stop()
        started = time.monotonic()
        with log.open("wb") as log_file:
            hook = subprocess.Popen(
                HOOK,
                cwd=PROJECT_ROOT,
                env=hook_env(server.url, DB_WAIT_S="90"),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            # Up once the hook has found it down (its start may take seconds on a busy machine),
            # and no sooner than COMES_UP_AFTER_S.
            while WAITING not in log.read_text(encoding="utf-8") and hook.poll() is None:
                time.sleep(0.2)
            time.sleep(max(0.0, COMES_UP_AFTER_S - (time.monotonic() - started)))
            still_waiting = hook.poll() is None
            server.start()
            returncode = hook.wait(timeout=120)
        finally:
            if hook.poll() is None:
                hook.kill()
                hook.wait()
        with psycopg.connect(server.url) as conn:
            migrated = conn.execute("SELECT version_num FROM alembic_version").fetchone()

    output = log.read_text(encoding="utf-8")
    assert still_waiting, output
    assert returncode == 0, output
    assert WAITING in output
    assert migrated is not None
