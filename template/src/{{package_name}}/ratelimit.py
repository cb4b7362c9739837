"""A limit on how fast one client may write (POST, PUT, PATCH, DELETE), per client address: a
token bucket per address, in this process (pure ASGI, no I/O: a dictionary lookup and a little
arithmetic per write; reads and preflights pass untouched).

A client over its limit gets 429 as a problem document, with `Retry-After` and the IETF draft's
`RateLimit` / `RateLimit-Policy` headers (draft-ietf-httpapi-ratelimit-headers). The address is
the peer's, or the one a trusted proxy names (FORWARDED_ALLOW_IPS, proxies.py); an IPv6
client is keyed by its /64, the block one subscriber gets (it could otherwise write from a new
address each time). Loopback peers that name no other client (no `X-Forwarded-For`) are not
limited: a client on the same machine (the operator, `kubectl port-forward`, local load tests) is
not a user. A trusted proxy's `X-Forwarded-For: 127.0.0.1` is what its client claims, so it is
limited like any other.

What it guarantees: each worker process counts on its own, so one client gets at most the limit
per worker it reaches, times the pods (the kernel spreads connections over the workers). A store
all of them share (Redis, say) would make it one limit for the service, at a network round trip
per write; the ingress's limits (README, Security) are the first line either way.
"""

import ipaddress
import math
import time
from collections import OrderedDict

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import problem_response

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK = frozenset({"127.0.0.1", "::1"})
POLICY = "writes"
# Buckets kept at most; past it, the least recently used one is dropped: the memory stays
# bounded whatever addresses a flood comes from, and the clients writing now keep their counts.
MAX_CLIENTS = 100_000
IPV6_CLIENT_PREFIX = 64


def client_key(host: str) -> str:
    """The bucket's key for a client at `host`: the address, or an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a proxy's `unknown`, say): its own bucket all the same
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return host


class TokenBuckets:
    """A bucket of `burst` tokens per key, refilled at `per_minute` a minute; a write takes one."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0  # tokens a second
        self.burst = float(burst)
        # key -> (tokens, when counted), least recently used first.
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """0 when `key` may write now (a token is taken); else the seconds until it may."""
        tokens, counted = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - counted) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        self.buckets.move_to_end(key)
        if len(self.buckets) > MAX_CLIENTS:
            self.buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / self.rate


class WriteRateLimitMiddleware:
    """Answer 429 to a client's write beyond `per_minute` a minute (bursts of `burst` allowed)."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute, burst)
        self.policy = f'"{POLICY}";q={per_minute};w=60'
        self.detail = f"More than {per_minute} writes a minute from this client: retry later."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or client is None
            or (client[0] in LOOPBACK and not _names_a_client(scope))
        ):
            await self.app(scope, receive, send)
            return
        wait_s = self.buckets.take(client_key(client[0]), time.monotonic())
        if not wait_s:
            await self.app(scope, receive, send)
            return
        retry_after = str(math.ceil(wait_s))
        headers = {
            "Retry-After": retry_after,
            "RateLimit": f'"{POLICY}";r=0;t={retry_after}',
            "RateLimit-Policy": self.policy,
        }
        response = problem_response(Request(scope), 429, self.detail, headers=headers)
        await response(scope, receive, send)


def _names_a_client(scope: Scope) -> bool:
    # uvicorn replaces the peer with the address a trusted proxy names and keeps the header.
    return any(name == b"x-forwarded-for" for name, _ in scope["headers"])
