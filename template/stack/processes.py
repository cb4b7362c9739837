"""Starting, finding and stopping the stack's native processes, by recorded process id."""

import contextlib
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psutil


@dataclass(frozen=True)
class Recorded:
    """A process `up` started. The start time guards against a reused process id."""

    pid: int
    started_at: float

    @classmethod
    def of(cls, pid: int) -> "Recorded":
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


def spawn(command: list[str], env: dict[str, str], log_file: Path, cwd: Path) -> Recorded:
    """Start a command detached from this process (its own session), output to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own, fixed command lines
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives `nox` exiting; `down` stops the whole group
        )
    return Recorded.of(process.pid)


def stop(recorded: Recorded, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 15.0) -> None:
    """Stop a recorded process and its children; SIGKILL if it outlives the timeout."""
    if not recorded.is_running():
        return
    process = psutil.Process(recorded.pid)
    family = [process, *process.children(recursive=True)]
    for member in family:
        _signal(member, sig)
    _, alive = psutil.wait_procs(family, timeout=timeout_s)
    for member in alive:
        _signal(member, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)


def _signal(process: psutil.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):  # it ended by itself meanwhile
        process.send_signal(sig)


def port_owner(port: int) -> str | None:
    """Who listens on a loopback-reachable TCP port: a description, or None when it is free."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return "another process"
            try:
                process = psutil.Process(conn.pid)
                return f"pid {conn.pid} ({' '.join(process.cmdline())[:80]})"
            except psutil.NoSuchProcess:
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
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
