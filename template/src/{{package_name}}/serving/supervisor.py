"""Worker processes serving one shared listening socket (`listener.py`), as uvicorn's supervisor
runs them (its `Process`: a spawned worker that answers health pings on a pipe), with what a
production server needs on top:

- A new worker is given `startup_timeout_s` to become ready (its app imported and started)
  before the health ping's few seconds apply to it: a worker that imports slowly on a busy
  machine is not killed for it. One that is not ready in time is replaced, as a hung one is.
- A worker that dies or is replaced is marked dead for Prometheus' multiprocess mode, so the
  live gauges it wrote (`http_requests_in_progress`) stop counting its requests.
- A worker that exits with STARTUP_FAILURE (its app could not be made: `serve.py`) stops the
  server: every replacement would fail alike.
- Workers never outlive the supervisor, however it ends, SIGKILL included (`end_with_parent`).
- SIGINT, SIGTERM and SIGQUIT stop gracefully: each worker finishes its requests, for up to the
  configuration's `timeout_graceful_shutdown`; one that has not exited a few seconds after it
  (blocked by a synchronous call, or stopped) is killed, so a stop always ends. SIGHUP replaces
  the workers one at a time, each replacement ready before its predecessor stops (a rolling
  restart, as uvicorn's).
"""

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

logger = logging.getLogger("uvicorn.error")

# How often the workers are checked; uvicorn's supervisor checks as often.
CHECK_INTERVAL_S = 0.5
# How long one readiness check waits for a booting worker's answer.
READINESS_PING_S = 0.1
# What a stopping worker has past its graceful shutdown to exit, before it is killed.
EXIT_MARGIN_S = 5.0
STOP_SIGNALS = [
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGQUIT", "SIGBREAK")
    if hasattr(signal, name)
]
RESTART_SIGNALS = [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
# Signals the supervisor handles that uvicorn's workers do not (they handle SIGINT and SIGTERM).
GROUP_SIGNALS = [getattr(signal, name) for name in ("SIGHUP", "SIGQUIT") if hasattr(signal, name)]
# Linux's prctl option that sends a process a signal when its parent ends.
PR_SET_PDEATHSIG = 1


class Worker(Process):
    """uvicorn's worker process, which ends with its supervisor and knows when it was started."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.started_at = time.monotonic()
        self.ready = False

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        # Runs in the worker process, where coverage does not follow.
        end_with_parent()
        # A terminal's Ctrl-\\ or hangup reaches the whole process group: the supervisor alone
        # decides (a graceful stop, a rolling restart), or each worker would die mid-request.
        for signum in GROUP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        super().target(sockets)


def end_with_parent() -> None:  # pragma: no cover - runs in the worker process
    """Stop this worker gracefully (SIGTERM) when the process that started it ends."""
    if sys.platform == "linux":
        _signal_on_parent_death(signal.SIGTERM)
    parent = multiprocessing.parent_process()
    if parent is not None:  # every platform: a thread waits on the parent's sentinel
        threading.Thread(target=_stop_after, args=(parent,), daemon=True).start()


def _stop_after(parent: multiprocessing.process.BaseProcess) -> None:  # pragma: no cover
    parent.join()  # returns once the parent has ended (at once if it already has)
    signal.raise_signal(signal.SIGTERM)


if sys.platform == "linux":
    import ctypes

    def _signal_on_parent_death(signum: int) -> None:  # pragma: no cover - in the worker
        """Ask the kernel for `signum` when the parent ends: it is sent even when the parent
        is killed, and even if this process is too busy to notice."""
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())


class Supervisor:
    """Runs `config.workers` workers on `listener` until a stop signal (`run`)."""

    def __init__(self, config: Config, listener: socket.socket, startup_timeout_s: float) -> None:
        self.config = config
        self.listener = listener
        self.startup_timeout_s = startup_timeout_s
        self.stopping = threading.Event()
        self.restart_requested = threading.Event()
        self.exit_code = 0
        self.workers: list[Worker] = []

    def run(self) -> int:
        """Serve until stopped: 0, or STARTUP_FAILURE when a worker's app could not start."""
        handlers: dict[int, Callable[[int, FrameType | None], None]] = {
            **dict.fromkeys(STOP_SIGNALS, self._on_stop),
            **dict.fromkeys(RESTART_SIGNALS, self._on_restart),
        }
        previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
        logger.info("Started supervisor [%s]", os.getpid())
        self.workers = [self._started() for _ in range(self.config.workers)]
        try:
            while not self.stopping.wait(CHECK_INTERVAL_S):
                self._replace_failed()
                if self.restart_requested.is_set() and not self.stopping.is_set():
                    self.restart_requested.clear()
                    self._restart_all()
        finally:
            for worker in self.workers:
                worker.terminate()
            self._join_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.exit_code

    def _join_all(self) -> None:
        """Wait for the stopping workers: each may finish its requests for the graceful
        shutdown's timeout (and a margin to exit); one still there after it (blocked in a
        synchronous call, or stopped) is killed, so a stop always ends."""
        grace = self.config.timeout_graceful_shutdown
        deadline = None if grace is None else time.monotonic() + grace + EXIT_MARGIN_S
        for worker in self.workers:
            if deadline is not None:
                worker.process.join(max(deadline - time.monotonic(), 0))
                if worker.process.is_alive():
                    logger.warning("Worker [%s] did not stop in time; killing it.", worker.pid)
                    worker.kill()
            worker.join()
            forget(worker)

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("Received %s: stopping.", signal.Signals(signum).name)
        self.stopping.set()

    def _on_restart(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("Received %s: restarting the workers.", signal.Signals(signum).name)
        self.restart_requested.set()

    def _started(self) -> Worker:
        worker = Worker(self.config, [self.listener])
        worker.start()
        return worker

    def _replace_failed(self) -> None:
        for index, worker in enumerate(self.workers):
            if self.stopping.is_set():
                return
            if self._healthy(worker):
                continue
            worker.kill()  # it may be hung rather than gone
            worker.join()
            forget(worker)
            if worker.exitcode == STARTUP_FAILURE:
                logger.error("Worker [%s] failed to start; stopping.", worker.pid)
                self.exit_code = STARTUP_FAILURE
                self.stopping.set()
                return
            logger.warning("Worker [%s] died or hung; starting another.", worker.pid)
            self.workers[index] = self._started()

    def _healthy(self, worker: Worker) -> bool:
        if worker.ready:
            return worker.is_alive(timeout=self.config.timeout_worker_healthcheck)
        if not worker.process.is_alive():
            return False
        if worker.is_ready(timeout=READINESS_PING_S):
            worker.ready = True
            return True
        booting = time.monotonic() - worker.started_at < self.startup_timeout_s
        if not booting:
            logger.error("Worker [%s] not ready in %ss.", worker.pid, self.startup_timeout_s)
        return booting

    def _restart_all(self) -> None:
        """Replace each worker by a new one, once the new one is ready."""
        for index, old in enumerate(self.workers):
            if self.stopping.is_set():  # a stop came meanwhile: no new worker
                return
            new = self._started()
            if not new.wait_until_ready(self.startup_timeout_s, self.stopping):
                new.kill()
                new.join()
                forget(new)
                if not self.stopping.is_set():
                    logger.error("Worker [%s] not ready in time: restart abandoned.", new.pid)
                return
            new.ready = True
            self.workers[index] = new
            old.terminate()
            old.join()
            forget(old)


def forget(worker: Process) -> None:
    """Remove the live gauges of an ended `worker` from Prometheus' multiprocess directory."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and worker.pid is not None:
        # Here, not at the top: prometheus_client reads the directory when it is imported.
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, directory)  # type: ignore[no-untyped-call]


def supervise(config: Config, listener: socket.socket, startup_timeout_s: float) -> int:
    """Serve `config` on `listener` until a stop signal; the exit status."""
    return Supervisor(config, listener, startup_timeout_s).run()
