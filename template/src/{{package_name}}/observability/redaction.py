"""Credentials kept out of traces. Imported by a Tracing only (as the SDK is): an untraced
service loads none of it."""

from urllib.parse import parse_qsl, urlencode

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor

# OAuth parameters that carry a credential, compared as a server might read them (any case,
# with a PHP-style `[]`). The API refuses a token in the URL (RFC 6750 section 2.3 would allow
# `access_token`), but the request span is started before the refusal, with the query as it came:
# FastAPI's spans redact only cloud storage signatures in `url.query`.
CREDENTIAL_PARAMETERS = frozenset(
    {
        "access_token", "id_token", "refresh_token", "client_secret", "client_assertion",
        "assertion", "code", "code_verifier", "password",
    }
)  # fmt: skip
REDACTED = "REDACTED"


class QueryCredentialRedaction(SpanProcessor):
    """Replaces the values of CREDENTIAL_PARAMETERS in a span's `url.query` as the span starts,
    before any exporter can see it."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        query = (span.attributes or {}).get("url.query")
        if isinstance(query, str) and (scrubbed := redacted(query)) != query:
            span.set_attribute("url.query", scrubbed)


def redacted(query: str) -> str:
    """`query` with the value of every credential parameter replaced; as it was without one."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_credential(name) for name, _ in pairs):
        return query
    return urlencode([(name, REDACTED if _credential(name) else value) for name, value in pairs])


def _credential(name: str) -> bool:
    return name.strip().lower().removesuffix("[]").strip() in CREDENTIAL_PARAMETERS
