"""Traces, when TRACING_ENABLED is true: a span for every request (FastAPI's own OpenTelemetry
support, which continues a caller's W3C `traceparent`) with a child for every database statement
(psycopg's instrumentation), exported in batches over OTLP/HTTP by a background thread, and the
trace's ids on every log line written while a span is current.

Off (the default), no Tracing is made, so the OpenTelemetry SDK and exporter are never imported
(only a Tracing imports them), and FastAPI's telemetry is switched off: a request pays nothing
for tracing.
"""

import os
import socket
from importlib.metadata import PackageNotFoundError, version
from typing import cast

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from starlette.types import Scope

from ..db import Connection
from ..docs import SWAGGER_UI_OAUTH2_REDIRECT_URL
from ..settings import Settings
from .documents import Document

# Probes: many, and nothing to learn from their traces (scrapes go to the metrics port, which is
# not traced). Swagger UI's sign-in callback: its query holds an authorization code and the
# provider's session id.
_UNTRACED = frozenset({"/health/live", "/health/ready", SWAGGER_UI_OAUTH2_REDIRECT_URL})


class Tracing:
    """The service's own tracer provider (the global one is left alone) and what uses it."""

    def __init__(self, settings: Settings) -> None:
        # The SDK and the exporter, imported here: only a traced service loads them.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        from .redaction import QueryCredentialRedaction
        from .sampling import RandomRatio, RequestsOnly

        self._instrumentor = PsycopgInstrumentor
        resource = Resource.create(
            {
                "service.name": settings.service_name,
                "service.version": _service_version(settings.service_name),
                # One per worker process: which replica and worker a slow span ran in.
                "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
                "deployment.environment.name": settings.environment,
            }
        )
        # Our own policy at the edge: the ratio decides a new trace (by its id, which we drew),
        # and a caller's unless it is trusted (settings.tracing_trust_parent) by a draw of our
        # own: the caller chose its trace id, so deciding by it would let any client buy a trace
        # (low 64 bits under the bound). Spans inside the service follow their parent either
        # way (a statement is traced when its request is).
        ratio = TraceIdRatioBased(settings.tracing_sample_ratio)
        drawn = RandomRatio(settings.tracing_sample_ratio)
        edge = {} if settings.tracing_trust_parent else {
            "remote_parent_sampled": drawn, "remote_parent_not_sampled": drawn,
        }  # fmt: skip
        sampler = ParentBased(RequestsOnly(ratio), **edge)
        self.provider = TracerProvider(resource=resource, sampler=sampler)
        self.provider.add_span_processor(QueryCredentialRedaction())
        # Headers (an API key) and TLS come from the OTEL_EXPORTER_OTLP_* variables.
        endpoint = settings.tracing_otlp_endpoint.rstrip("/") + "/v1/traces"
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))

    def telemetry(self) -> TelemetryConfig:
        """FastAPI's `telemetry=`: request spans on this provider; metrics and logs stay ours."""
        return {
            "tracer_provider": self.provider,
            "tracing": True,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "exclude": _untraced,
        }

    async def instrument(self, connection: Connection) -> None:
        """The pool's `configure` hook: each new connection's statements become spans."""
        # Its signature names the connection classes with their default row type; it only sets
        # the cursor factory, whatever the rows.
        tuples = cast("AsyncConnection[TupleRow]", connection)
        self._instrumentor.instrument_connection(tuples, tracer_provider=self.provider)

    @staticmethod
    def trace_fields() -> Document | None:
        """The current span's trace and span ids as log fields; None outside a traced request."""
        context = trace.get_current_span().get_span_context()
        # An unsampled span is exported nowhere: ids on the log line would point at nothing.
        if not context.is_valid or not context.trace_flags.sampled:
            return None
        return {
            "trace_id": format(context.trace_id, "032x"),
            "span_id": format(context.span_id, "016x"),
        }

    def shutdown(self) -> None:
        """Export the spans still queued, then stop the exporter's thread."""
        self.provider.shutdown()


def _service_version(distribution: str) -> str:
    """The installed distribution's version (pyproject.toml's), "unknown" if not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def _untraced(scope: Scope) -> bool:
    return scope["path"] in _UNTRACED
