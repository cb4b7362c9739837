"""Worker processes that each serve a listening socket of their own (`listeners.py`).

uvicorn's own supervisor hands every worker the same sockets. This one starts worker i on
socket i, with uvicorn's worker process (`Process`: spawned, answering health pings), and
replaces a worker that dies or stops answering on the same socket, whose queue the parent keeps
open meanwhile. A worker that exits with STARTUP_FAILURE (its app could not be made: `serve.py`)
stops the server instead: every replacement would fail alike. SIGINT and SIGTERM stop the
workers gracefully (each finishes its requests).
"""

import logging
import signal
import socket
import threading

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

logger = logging.getLogger("uvicorn.error")

# How often the workers are checked; uvicorn's supervisor checks as often.
CHECK_INTERVAL_S = 0.5


def supervise(config: Config, listeners: list[socket.socket]) -> int:
    """Serve until SIGINT or SIGTERM: 0, or STARTUP_FAILURE when a worker could not start. The
    listeners are closed when it returns."""
    stopping = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stopping.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    workers = [_started(config, listener) for listener in listeners]
    exit_code = 0
    try:
        while not stopping.wait(CHECK_INTERVAL_S):
            for index, worker in enumerate(workers):
                if worker.is_alive(timeout=config.timeout_worker_healthcheck):
                    continue
                worker.kill()  # it may be hung rather than gone
                worker.join()
                if worker.exitcode == STARTUP_FAILURE:
                    logger.error("Worker [%s] failed to start; stopping.", worker.pid)
                    exit_code = STARTUP_FAILURE
                    stopping.set()
                    break
                logger.warning("Worker [%s] died; starting another on its socket.", worker.pid)
                workers[index] = _started(config, listeners[index])
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join()
        for listener in listeners:
            listener.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return exit_code


def _started(config: Config, listener: socket.socket) -> Process:
    worker = Process(config, [listener])
    worker.start()
    return worker
