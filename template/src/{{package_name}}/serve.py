"""Run the API in production shape: `python -m <package>.serve [--workers N] [--port P]`.

Several uvicorn workers (uvloop and httptools where the platform has them: not on Windows) serve
one port, each on a socket of its own where the kernel balances connections between them
(serving/listeners.py), else on one shared socket. Their Prometheus samples meet in
PROMETHEUS_MULTIPROC_DIR, which is wiped first so a previous run's numbers never leak in.
Nothing here imports prometheus_client at import time: it must see the directory first.
"""

import argparse
import contextlib
import gc
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from .proxies import DEFAULT_TRUSTED_PROXIES, trusted_proxies
from .serving.listeners import per_worker_listeners
from .serving.protocol import DEFAULT_HEADER_TIMEOUT_S, ServerConfig
from .serving.supervisor import supervise

# Young objects a collection may wait for; Python's default is 700 (see tune_garbage_collector).
YOUNG_GENERATION_THRESHOLD = 20_000


def prepare_metrics_dir(directory: Path) -> None:
    """An empty `directory` for the workers' samples. It is emptied, never replaced: on
    Kubernetes it is a mounted volume (the root filesystem is read-only)."""
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def create_worker_app() -> FastAPI:
    """The app as each worker process builds it: created, then the collector tuned for a server.

    An app that cannot be made (bad settings, say) ends the worker with STARTUP_FAILURE, which
    stops the server rather than having it restart workers that would fail alike.
    """
    from .main import create_app  # here, not at the top: prometheus_client must see its directory

    try:
        app = create_app()
    except Exception:
        logging.getLogger("uvicorn.error").exception("The app could not be made.")
        sys.exit(STARTUP_FAILURE)
    tune_garbage_collector()
    return app


def tune_garbage_collector() -> None:
    """Spend less of each request in Python's cyclic garbage collector (docs/decisions.md).

    What exists once the app is built lives as long as the process, so it is frozen out of every
    later collection; the young generation waits for more objects, because requests in flight
    keep some hundreds alive.
    """
    gc.collect()
    gc.freeze()
    _, *older_thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *older_thresholds)


def serve(config: uvicorn.Config) -> int:
    """Run the server until it is stopped; its exit status."""
    listeners = per_worker_listeners(config.host, config.port, config.workers)
    if listeners is not None:
        return supervise(config, listeners)
    if config.workers > 1:  # a kernel that does not balance: uvicorn's one shared socket
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        supervisor.run()
        failed = any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes)
        return STARTUP_FAILURE if failed else 0
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else STARTUP_FAILURE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("API_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("API_WORKERS") or os.cpu_count() or 1),
        help="worker processes (default: API_WORKERS, else one per core)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=float(os.environ.get("API_HEADER_TIMEOUT_S") or DEFAULT_HEADER_TIMEOUT_S),
        help="seconds a request's line and headers may take (default: API_HEADER_TIMEOUT_S, "
        f"else {DEFAULT_HEADER_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        type=_trusted_proxies,
        default=os.environ.get("FORWARDED_ALLOW_IPS") or DEFAULT_TRUSTED_PROXIES,
        help="peers whose X-Forwarded-For/-Proto are believed (default: FORWARDED_ALLOW_IPS, "
        f"else {DEFAULT_TRUSTED_PROXIES}; see proxies.py)",
    )
    args = parser.parse_args()
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    with contextlib.ExitStack() as cleanup:
        # None configured: a temporary one, deleted when the server stops.
        scratch = None if configured else cleanup.enter_context(tempfile.TemporaryDirectory())
        prepare_metrics_dir(Path(configured or str(scratch)))
        config = ServerConfig(
            f"{__package__}.serve:create_worker_app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            header_timeout_s=args.header_timeout,
        )
        # Whose X-Forwarded-For is believed (proxies.py): uvicorn reads it as it loads the app.
        config.forwarded_allow_ips = args.forwarded_allow_ips
        return serve(config)


def _trusted_proxies(text: str) -> list[str]:
    try:
        return trusted_proxies(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


if __name__ == "__main__":
    sys.exit(main())
