"""How the API is served (`serving/`): a listening socket per worker where the kernel balances
them, a worker replaced on its own socket, a server that stops when its app cannot start, a
deadline on request headers, and a response written in one send."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import psutil
import pytest
from stack.api import serving_api
from stack.processes import free_port

from {{ package_name }}.serving.listeners import balancing_option
from {{ package_name }}.serving.protocol import CoalescingTransport

T = TypeVar("T")

# The socket inodes a process holds are read from /proc.
linux_only = pytest.mark.skipif(
    sys.platform != "linux",
    reason="reads sockets from /proc (Linux); per-worker sockets are Linux's and FreeBSD's,"
    " elsewhere the workers share one (serving/listeners.py)",
)


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The API on two workers: its base URL and the supervising process's id."""
    settings = {"API_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    with serving_api(os.environ, database_url, tmp_path / "api.log", **settings) as (base, api):
        yield base, api.pid


@linux_only
def test_each_worker_listens_on_a_socket_of_its_own(two_workers: tuple[str, int]) -> None:
    base, supervisor = two_workers
    port = int(base.rsplit(":", 1)[1])

    workers = _workers(supervisor)
    listening = [_listening_sockets(worker.pid, port) for worker in workers]

    assert len(workers) == 2
    # One each, and not the same one: the kernel, not a race to accept, picks a worker.
    assert all(len(sockets) == 1 for sockets in listening)
    assert listening[0] != listening[1]
    # The supervisor keeps both open, so a worker's queue outlives the worker.
    assert _listening_sockets(supervisor, port) == listening[0] | listening[1]


@linux_only
def test_a_dead_worker_is_replaced_on_its_own_socket(two_workers: tuple[str, int]) -> None:
    base, supervisor = two_workers
    port = int(base.rsplit(":", 1)[1])
    victim, survivor = _workers(supervisor)
    its_socket = _listening_sockets(victim.pid, port)

    victim.kill()
    victim.wait(timeout=10)
    replacement = _wait_for(
        lambda: [worker for worker in _workers(supervisor) if worker.pid != survivor.pid]
    )[0]

    assert _wait_for(lambda: _listening_sockets(replacement.pid, port)) == its_socket
    for _ in range(20):  # fresh connections, hashed to either socket, are all answered
        assert httpx.get(f"{base}/health/live", headers={"connection": "close"}).status_code == 200


@pytest.mark.parametrize(
    "workers",
    [
        "1",
        pytest.param(
            "2",
            marks=pytest.mark.skipif(
                balancing_option() is None,
                reason="with a shared socket, uvicorn's own supervisor restarts such a worker"
                " forever",
            ),
        ),
    ],
)
def test_a_server_whose_app_cannot_start_exits_with_its_error(
    serve_module: str, database_url: str, workers: str
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "OBSERVABILITY": "perhaps"}
    command = [sys.executable, "-m", serve_module, "--port", str(free_port()), "--workers", workers]

    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    # It stops (rather than restarting workers that fail alike) and says why.
    assert result.returncode != 0
    assert "observability" in result.stderr.lower()


def test_request_headers_that_take_too_long_are_cut_off(
    database_url: str, tmp_path: Path
) -> None:
    settings = {"API_WORKERS": "1", "API_HEADER_TIMEOUT_S": "1"}
    with serving_api(os.environ, database_url, tmp_path / "api.log", **settings) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        address = (host, int(port))
        with (
            socket.create_connection(address) as silent,
            socket.create_connection(address) as trickling,
            socket.create_connection(address) as prompt,
        ):
            trickling.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")  # and never the end
            started = time.monotonic()
            first = _exchange(prompt)

            assert _received_until_closed(silent) == b""
            assert _received_until_closed(trickling) == b""
            assert time.monotonic() - started < 5
            # A client that sends its headers in time is answered, and its connection kept
            # past the deadline: the clock stops once the headers are in.
            assert first.startswith(b"HTTP/1.1 200")
            assert _exchange(prompt).startswith(b"HTTP/1.1 200")


class RecordingTransport(asyncio.Transport):
    """A fake transport that records what is written to it (a send each), as a socket cannot
    tell how many sends made up what it received."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sends.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_writes_made_in_one_turn_of_the_loop_leave_in_one_send() -> None:
    sent = RecordingTransport()
    transport = CoalescingTransport(sent, asyncio.get_running_loop())

    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert sent.sends == []  # nothing before the turn ends
    await asyncio.sleep(0)
    transport.write(b"next")
    transport.close()  # what is pending goes out first

    assert sent.sends == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}", b"next"]
    assert sent.closed
    assert transport.is_closing()  # everything else is the wrapped transport's


def _workers(supervisor: int) -> list[psutil.Process]:
    """The worker processes (multiprocessing also starts a resource tracker)."""
    return [
        child
        for child in psutil.Process(supervisor).children()
        if any("spawn_main" in part for part in child.cmdline())
    ]


def _listening_sockets(pid: int, port: int) -> set[str]:
    """The inodes of the sockets of process `pid` that listen on `port` (Linux)."""
    listening = {
        line.split()[9]
        for table in ("tcp", "tcp6")
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].rsplit(":", 1)[1], 16) == port
    }
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            held.add(target.removeprefix("socket:[").removesuffix("]"))
    return held & listening


def _wait_for(probe: Callable[[], T], timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while not (found := probe()):
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.1)
    return found


def _received_until_closed(connection: socket.socket) -> bytes:
    connection.settimeout(10)
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def _exchange(connection: socket.socket) -> bytes:
    """One request on a kept-alive connection, and its whole response."""
    connection.settimeout(10)
    connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return received
