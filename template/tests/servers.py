"""Real servers for tests: the API (and the UI) as separate processes on free loopback ports."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(command: list[str], env: dict[str, str], health_url: str, log: Path) -> Iterator[None]:
    """Run `command` until the block ends; enter once `health_url` answers 200."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while not _answers(health_url):
            if process.poll() is not None or time.monotonic() > deadline:
                msg = f"{command[0]} did not come up at {health_url}:\n{log.read_text()[-3000:]}"
                raise RuntimeError(msg)
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
