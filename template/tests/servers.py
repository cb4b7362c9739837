"""Real servers for tests: the API (and the UI) as separate processes on free loopback ports."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stack.processes import is_healthy
from stack.target import free_port

__all__ = ["black_hole", "free_port", "serving", "serving_as_deployed"]


@contextmanager
def serving(command: list[str], env: dict[str, str], health_url: str, log: Path) -> Iterator[None]:
    """Run `command` until the block ends; enter once `health_url` answers 200."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not is_healthy(health_url):
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


@contextmanager
def serving_as_deployed(
    serve_module: str, database_url: str, metrics_dir: Path, log: Path
) -> Iterator[str]:
    """The API as its image runs it: the `serve` launcher with two workers whose metrics share
    `metrics_dir`, on a free port, until the block ends. Yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", serve_module, "--workers", "2", "--port", str(port)]
    env = {**os.environ, "DATABASE_URL": database_url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    base = f"http://127.0.0.1:{port}"
    with serving(command, env, f"{base}/health/live", log):
        yield base


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers: a server that hangs. Yields the port."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield server.getsockname()[1]
        finally:
            stop.set()
            thread.join()
            for conn in accepted:
                conn.close()
