"""The id of the request being served: the middleware sets it, every log line the request causes
carries it. A module of its own, so that logging does not import the middleware."""

import re
import secrets
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Only ids safe to log and echo: short, printable, nothing that could forge a log line.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def accepted_or_new(incoming: str) -> str:
    """The client's id when it is safe to log and echo, else a fresh random one."""
    return incoming if _ACCEPTABLE.fullmatch(incoming) else secrets.token_hex(16)
