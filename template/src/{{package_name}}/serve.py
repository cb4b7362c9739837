"""Run the API in production shape: `python -m <package>.serve [--workers N] [--port P]`.

Several uvicorn worker processes (uvloop and httptools where the platform has them: not on
Windows) share one listening socket under a supervisor (serving/). Their Prometheus samples meet in
PROMETHEUS_MULTIPROC_DIR, which is wiped first so a previous run's numbers never leak in, and the
supervisor serves them on a port of their own (--metrics-port, observability/exposition.py).
Nothing here imports prometheus_client at import time: it must see the directory first.
"""

import argparse
import contextlib
import gc
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE

from .proxies import DEFAULT_TRUSTED_PROXIES, trusted_proxies
from .serving.listener import bind_listener
from .serving.protocol import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_SHUTDOWN_TIMEOUT_S,
    ServerConfig,
)
from .serving.supervisor import supervise

MAX_PORT = 65535
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


def serve(config: ServerConfig) -> int:
    """Run the server, and its metrics on their port, until it is stopped; its exit status."""
    # Here, not at the top: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when it is imported.
    from .observability.exposition import serving_metrics

    with contextlib.ExitStack() as listening:
        port = config.port
        try:
            listener = listening.enter_context(bind_listener(config.host, port))
            api_port = listener.getsockname()[1]
            port = config.metrics_port
            listening.enter_context(serving_metrics(config.host, port, api_port))
        except OSError as error:
            logging.getLogger("uvicorn.error").error(
                "Cannot listen on %s:%s: %s. Is another instance of the service (or workers left"
                " from one) still running there?",
                config.host,
                port,
                error.strerror or error,
            )
            return STARTUP_FAILURE
        return supervise(config, listener, config.startup_timeout_s)


@dataclass(frozen=True)
class Setting:
    """One of the server's settings: its option, the environment variable that sets it when the
    option is not given, and what a valid value is."""

    option: str
    variable: str
    kind: type[int] | type[float]
    fallback: str
    valid: Callable[[float], bool]
    expected: str
    help: str

    @property
    def dest(self) -> str:
        return self.option.removeprefix("--").replace("-", "_")


def _seconds(value: float) -> bool:
    return value > 0 and math.isfinite(value)


SETTINGS = [
    Setting(
        "--port",
        "API_PORT",
        int,
        "8000",
        lambda port: 0 <= port <= MAX_PORT,
        "a port number from 0 to 65535",
        "port to listen on",
    ),
    Setting(
        "--metrics-port",
        "API_METRICS_PORT",
        int,
        "9464",
        lambda port: 0 <= port <= MAX_PORT,
        "a port number from 0 to 65535",
        "port the metrics are served on, on the same host (never on the API's port)",
    ),
    Setting(
        "--workers",
        "API_WORKERS",
        int,
        str(os.cpu_count() or 1),
        lambda count: count >= 1,
        "a whole number of at least 1",
        "worker processes (else one per core)",
    ),
    Setting(
        "--header-timeout",
        "API_HEADER_TIMEOUT_S",
        float,
        f"{DEFAULT_HEADER_TIMEOUT_S:g}",
        _seconds,
        "a number of seconds above 0",
        "seconds a request's line and headers may take",
    ),
    Setting(
        "--body-timeout",
        "API_BODY_TIMEOUT_S",
        float,
        f"{DEFAULT_BODY_TIMEOUT_S:g}",
        _seconds,
        "a number of seconds above 0",
        "seconds between two parts of a request's body",
    ),
    Setting(
        "--shutdown-timeout",
        "API_SHUTDOWN_TIMEOUT_S",
        int,
        str(DEFAULT_SHUTDOWN_TIMEOUT_S),
        lambda seconds: seconds >= 0,
        "a whole number of seconds, 0 or more",
        "seconds a stop waits for requests in flight",
    ),
]


def parse_settings() -> argparse.Namespace:
    """The server's settings from the command line, else the environment. An invalid one ends
    the process (exit 2) with a message naming its option and variable."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("API_BIND", "127.0.0.1"))
    parser.add_argument(
        "--app",
        default=f"{__package__}.serve:create_worker_app",
        help="the app factory each worker runs, MODULE:FUNCTION (default: this module's;"
        " another wraps it, as the benchmark's variants do)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        type=_trusted_proxies,
        default=os.environ.get("FORWARDED_ALLOW_IPS") or DEFAULT_TRUSTED_PROXIES,
        help="peers whose X-Forwarded-For/-Proto are believed (default: FORWARDED_ALLOW_IPS, "
        f"else {DEFAULT_TRUSTED_PROXIES}; see proxies.py)",
    )
    for setting in SETTINGS:
        # No default here: argparse would convert a bad environment value in its own words,
        # without naming the variable.
        parser.add_argument(
            setting.option,
            type=setting.kind,
            help=f"{setting.help} (default: {setting.variable}, else {setting.fallback})",
        )
    args = parser.parse_args()
    for setting in SETTINGS:
        value = getattr(args, setting.dest)
        if value is None:
            text = os.environ.get(setting.variable) or setting.fallback
            source = f"{setting.option} (from {setting.variable}={text!r})"
            try:
                value = setting.kind(text)
            except ValueError:
                parser.error(f"{source}: expected {setting.expected}")
        else:
            source = f"argument {setting.option} {value!r}"
        if not setting.valid(value):
            parser.error(f"{source}: expected {setting.expected}")
        setattr(args, setting.dest, value)
    if args.metrics_port == args.port != 0:
        parser.error(
            f"--metrics-port {args.metrics_port} is the API's port (--port): the metrics are"
            " served on a port of their own"
        )
    return args


def main() -> int:
    args = parse_settings()
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    with contextlib.ExitStack() as cleanup:
        # None configured: a temporary one, deleted when the server stops.
        scratch = None if configured else cleanup.enter_context(tempfile.TemporaryDirectory())
        prepare_metrics_dir(Path(configured or str(scratch)))
        config = ServerConfig(
            args.app,
            host=args.host,
            port=args.port,
            metrics_port=args.metrics_port,
            workers=args.workers,
            header_timeout_s=args.header_timeout,
            body_timeout_s=args.body_timeout,
            shutdown_timeout_s=args.shutdown_timeout,
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
