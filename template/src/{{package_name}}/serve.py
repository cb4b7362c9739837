"""Run the API in production shape: `python -m <package>.serve [--workers N] [--port P]`.

Several uvicorn workers (uvloop, httptools) share one port; their Prometheus samples meet in
PROMETHEUS_MULTIPROC_DIR, which is wiped first so a previous run's numbers never leak in.
Nothing here imports prometheus_client: it must see the directory before it is first imported.
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import uvicorn


def prepare_metrics_dir(path: str | None) -> Path:
    directory = Path(path) if path else Path(tempfile.mkdtemp(prefix="prometheus-"))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("API_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("API_WORKERS") or os.cpu_count() or 1),
        help="worker processes (default: API_WORKERS, else one per core)",
    )
    args = parser.parse_args()
    prepare_metrics_dir(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    uvicorn.run(
        f"{__package__}.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,  # ObservabilityMiddleware logs every request, with more fields
        proxy_headers=True,
        server_header=False,  # no need to tell every client which server software answers
    )


if __name__ == "__main__":
    main()
