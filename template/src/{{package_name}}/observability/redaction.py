"""Credentials kept out of traces. Imported by a Tracing only (as the SDK is): an untraced
service loads none of it."""

from urllib.parse import parse_qsl, urlencode

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor

# OAuth parameters that carry a credential. The API refuses a token in the URL (RFC 6750 section
# 2.3 would allow `access_token`), but the request span is started before the refusal, with the
# query as it came: FastAPI's spans redact only cloud storage signatures in `url.query`.
CREDENTIAL_PARAMETERS = frozenset({"access_token", "id_token", "refresh_token", "client_secret"})
REDACTED = "REDACTED"


class QueryCredentialRedaction(SpanProcessor):
    """Replaces the values of CREDENTIAL_PARAMETERS in a span's `url.query` as the span starts,
    before any exporter can see it."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        query = (span.attributes or {}).get("url.query")
        if isinstance(query, str) and redacts(query):
            span.set_attribute("url.query", redacted(query))


def redacts(query: str) -> bool:
    return any(name in query for name in CREDENTIAL_PARAMETERS)


def redacted(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, REDACTED if name in CREDENTIAL_PARAMETERS else value) for name, value in pairs]
    )
