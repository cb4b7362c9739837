"""Starting, waiting for and stopping processes, by recorded process id: the stack's services,
the private servers of `load`, `contract` and `bench`, and the service's test servers."""

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Self

import httpx
import psutil

from .private import private_file

# The handles of the processes this one started, kept until they are stopped: a handle dropped
# while its process runs is a ResourceWarning, and stop() reaps the process through it.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}

if sys.platform == "win32":
    # Its own process group: a Ctrl+C in the console that ran `nox -s up` does not reach it.
    DETACHED = subprocess.CREATE_NEW_PROCESS_GROUP
else:
    DETACHED = 0  # start_new_session does it on POSIX


@dataclass(frozen=True)
class Recorded:
    """A process the stack started. The start time guards against a reused process id."""

    pid: int
    started_at: float

    @classmethod
    def of(cls, pid: int) -> Self:
        return cls(pid, psutil.Process(pid).create_time())

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def is_running(self) -> bool:
        try:
            process = psutil.Process(self.pid)
            return process.create_time() == self.started_at and process.status() not in (
                psutil.STATUS_ZOMBIE,
                psutil.STATUS_DEAD,
            )
        except psutil.NoSuchProcess:
            return False


def spawn(
    command: list[str], env: dict[str, str], log_file: Path, cwd: Path | None = None
) -> Recorded:
    """Start a command detached from this process (its own session), output to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with private_file(log_file).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own, fixed command lines
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives `nox` exiting (ignored on Windows)
            creationflags=DETACHED,
        )
    _CHILDREN[process.pid] = process
    return Recorded.of(process.pid)


def stop(recorded: Recorded, sig: signal.Signals | None = None, timeout_s: float = 15.0) -> None:
    """Stop a recorded process and its children: `sig` where the platform has signals, else
    terminate() (SIGTERM; TerminateProcess on Windows); kill() if it outlives the timeout."""
    child = _CHILDREN.pop(recorded.pid, None)
    if recorded.is_running():
        _stop_family(psutil.Process(recorded.pid), sig, timeout_s)
    if child is not None:
        child.poll()  # reaps it, unless psutil did already


def _stop_family(process: psutil.Process, sig: signal.Signals | None, timeout_s: float) -> None:
    family = [process, *process.children(recursive=True)]
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended by itself meanwhile
            if sig is None:
                member.terminate()
            else:
                member.send_signal(sig)
    _, alive = psutil.wait_procs(family, timeout=timeout_s)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=5)


@contextlib.contextmanager
def running(
    command: list[str],
    env: dict[str, str],
    health_url: str,
    log_file: Path,
    *,
    cwd: Path | None = None,
    timeout_s: float = 60.0,
) -> Iterator[Recorded]:
    """`command` running until the block ends, entered once `health_url` answers 200."""
    name = Path(command[0]).name
    recorded = start_healthy(name, command, env, health_url, log_file, cwd=cwd, timeout_s=timeout_s)
    try:
        yield recorded
    finally:
        stop(recorded)


def start_healthy(
    name: str,
    command: list[str],
    env: dict[str, str],
    health_url: str,
    log_file: Path,
    *,
    cwd: Path | None = None,
    timeout_s: float = 60.0,
) -> Recorded:
    """Spawn `command` and wait until `health_url` answers 200. If it does not in time, or the
    process dies first, it is stopped and a RuntimeError quotes its last log lines."""
    recorded = spawn(command, env, log_file, cwd)
    if not wait_healthy(health_url, recorded, timeout_s):
        stop(recorded)
        msg = (
            f"{name} did not become healthy at {health_url}; its last log lines:\n{tail(log_file)}"
        )
        raise RuntimeError(msg)
    return recorded


def free_port() -> int:
    """A loopback TCP port nobody listens on (the system's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_owner(port: int) -> str | None:
    """Who holds a loopback TCP port: a description, or None when it is free."""
    if not _port_in_use(port):
        return None
    return _listener(port) or "another process"


def _port_in_use(port: int) -> bool:
    # Something answers there, or the address cannot be had (a listener on another interface).
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as probe:
        if sys.platform != "win32":  # connections in TIME_WAIT do not block a server
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _listener(port: int) -> str | None:
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:  # macOS lists other processes' sockets to root only
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return None
            try:
                process = psutil.Process(conn.pid)
                return f"pid {conn.pid} ({' '.join(process.cmdline())[:80]})"
            except psutil.Error:  # ended meanwhile, or not ours to read
                return f"pid {conn.pid}"
    return None


def wait_healthy(url: str, recorded: Recorded, timeout_s: float) -> bool:
    """Poll `url` until it answers 200; False if the process dies or time runs out first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not recorded.is_running():
            return False
        if is_healthy(url):
            return True
        time.sleep(0.25)
    return False


def is_healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace", encoding="utf-8").splitlines()[-lines:])
