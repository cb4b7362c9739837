"""The provider's signature keys, cached in each worker process.

Fetched on the first token, kept as long as the provider's `Cache-Control: max-age` says (at
least AUTH_JWKS_MIN_REFRESH_S, at most a day; Keycloak sends `no-cache`, so then DEFAULT_TTL_S).
A token naming an unknown `kid` (the provider rotated its keys) refetches, but at most once per
AUTH_JWKS_MIN_REFRESH_S and by one task at a time: a flood of made-up kids costs the provider
one request a minute. A provider that does not answer leaves the keys already known in use.
"""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from .discovery import DiscoveryError, JsonKey, KeySet
from .errors import ProviderUnavailableError

DEFAULT_TTL_S = 300.0
MAX_TTL_S = 86_400.0
# After a failed fetch, the next is tried this soon at the earliest (capped by the minimum
# refresh interval): a provider that is starting up is waited for briefly, never hammered.
RETRY_AFTER_FAILURE_S = 5.0

logger = logging.getLogger(__name__)


class KeyCache:
    def __init__(
        self,
        fetch: Callable[[], Awaitable[KeySet]],
        *,
        min_refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.min_refresh_s = min_refresh_s
        self._clock = clock
        self._keys: dict[str, JsonKey] | None = None
        self._expires_at = 0.0
        self._not_before = -math.inf  # no fetch before this time
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> JsonKey | None:
        """The signature key named `kid`, or None when the provider has no such key. Raises
        ProviderUnavailableError when no key is known at all and the provider does not answer."""
        if self._wants_fetch(kid):
            async with self._lock:
                # Single flight: whoever waited for the lock finds the keys just fetched.
                if self._wants_fetch(kid):
                    await self._refresh()
        if self._keys is None:
            wait_s = max(1, math.ceil(self._not_before - self._clock()))
            raise ProviderUnavailableError(retry_after_s=wait_s)
        return self._keys.get(kid)

    def _wants_fetch(self, kid: str) -> bool:
        now = self._clock()
        if now < self._not_before:
            return False
        return self._keys is None or now >= self._expires_at or kid not in self._keys

    async def _refresh(self) -> None:
        now = self._clock()
        try:
            key_set = await self._fetch()
        except DiscoveryError as error:
            # The keys known stay in use; the next try waits a little.
            self._not_before = now + min(RETRY_AFTER_FAILURE_S, self.min_refresh_s)
            logger.warning("identity provider unavailable, keys not refreshed: %s", error)
            return
        self._keys = {kid: key for key in key_set.keys if isinstance(kid := key.get("kid"), str)}
        ttl_s = DEFAULT_TTL_S if key_set.max_age_s is None else key_set.max_age_s
        self._expires_at = now + min(max(ttl_s, self.min_refresh_s), MAX_TTL_S)
        self._not_before = now + self.min_refresh_s
