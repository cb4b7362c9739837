"""The tracer's samplers, beyond the SDK's own. Imported by a Tracing only (as the SDK is): an
untraced service loads none of it."""

import random
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes


class RequestsOnly(Sampler):
    """The sampler of spans without a parent: a request's, by `ratio`. A database statement
    without one (a readiness probe's, which is not traced) would be an orphan root: dropped."""

    def __init__(self, ratio: Sampler) -> None:
        self.ratio = ratio

    def should_sample(
        self, parent_context: Context | None, trace_id: int, name: str,
        kind: SpanKind | None = None, attributes: Attributes = None,
        links: Sequence[Link] | None = None, trace_state: TraceState | None = None,
    ) -> SamplingResult:  # fmt: skip
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self.ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestsOnly{{{self.ratio.get_description()}}}"


class RandomRatio(Sampler):
    """Samples `ratio` of the spans it is asked about by a random draw, whatever their trace id
    (which an untrusted caller chose)."""

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio
        self.bound = round(ratio * (1 << 64))  # as TraceIdRatioBased bounds its 64-bit draw

    def should_sample(
        self, parent_context: Context | None, trace_id: int, name: str,
        kind: SpanKind | None = None, attributes: Attributes = None,
        links: Sequence[Link] | None = None, trace_state: TraceState | None = None,
    ) -> SamplingResult:  # fmt: skip
        # Not a secret (no need for `secrets`): it only has to be out of the caller's hands.
        if random.getrandbits(64) < self.bound:
            parent = trace.get_current_span(parent_context).get_span_context()
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent.trace_state)
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return f"RandomRatio{{{self.ratio}}}"
