"""A Jaeger 2 of our own on loopback, keeping traces in memory: the tracing tests' backend, and
where `nox -s bench` sends the traced variant's spans."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .processes import free_port, running
from .tools import JAEGER


@dataclass(frozen=True)
class Jaeger:
    otlp_url: str  # OTLP/HTTP in: TRACING_OTLP_ENDPOINT
    query_url: str  # Jaeger's query API (and UI)


def config(otlp: int, query: int, health: int) -> dict[str, Any]:
    """Jaeger's configuration (an OpenTelemetry Collector's): OTLP/HTTP in, memory storage,
    the query API, a health check; every port on loopback and no metrics port of its own."""
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["jaeger_storage_exporter"],
                }
            },
            "telemetry": {"metrics": {"level": "none"}, "logs": {"level": "warn"}},
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"127.0.0.1:{health}"}},
            "jaeger_query": {
                # Not its own traces: it would send them to localhost:4317, and wait 10 s at
                # exit for an export nothing receives.
                "enable_tracing": False,
                "storage": {"traces": "memory"},
                "http": {"endpoint": f"127.0.0.1:{query}"},
                "grpc": {"endpoint": f"127.0.0.1:{free_port()}"},
            },
            "jaeger_storage": {"backends": {"memory": {"memory": {"max_traces": 100_000}}}},
        },
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{otlp}"}}}},
        "processors": {"batch": {"timeout": "100ms"}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "memory"}},
    }


@contextmanager
def running_jaeger(workdir: Path) -> Iterator[Jaeger]:
    """Jaeger until the block ends; its config and log in `workdir`."""
    binary = JAEGER.find()
    if binary is None:
        raise RuntimeError(JAEGER.missing())
    otlp, query, health = free_port(), free_port(), free_port()
    (workdir / "jaeger.yaml").write_text(
        yaml.safe_dump(config(otlp, query, health)), encoding="utf-8"
    )
    command = [binary, "--config", str(workdir / "jaeger.yaml")]
    health_url = f"http://127.0.0.1:{health}/status"
    # It answers within a second of starting; the bound is generous for a machine that is still
    # building it (CI's stand-in waits for the build).
    with running(command, dict(os.environ), health_url, workdir / "jaeger.log", timeout_s=300):
        yield Jaeger(f"http://127.0.0.1:{otlp}", f"http://127.0.0.1:{query}")
