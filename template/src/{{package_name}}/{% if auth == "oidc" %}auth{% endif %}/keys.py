"""The provider's signature keys, cached in each worker process.

Fetched on the first token, kept as long as the provider's `Cache-Control: max-age` says (at
least AUTH_JWKS_MIN_REFRESH_S, at most a day; Keycloak sends `no-cache`, so then DEFAULT_TTL_S).
A token naming an unknown `kid` (the provider rotated its keys) refetches, but at most once per
AUTH_JWKS_MIN_REFRESH_S and by one task at a time: a flood of made-up kids costs the provider
one request a minute. A provider that does not answer leaves the keys already known in use.

Once keys are known, a request never waits for the provider: keys past their time stay in use
while one background task refreshes them. Only a request that needs a key not known (the first,
or a new kid) waits for a fetch, and a fetch takes at most AUTH_HTTP_TIMEOUT_S (discovery.py).
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
        self._background: asyncio.Task[None] | None = None

    async def key(self, kid: str) -> JsonKey | None:
        """The signature key named `kid`, or None when the provider has no such key. Raises
        ProviderUnavailableError when no key is known at all and the provider does not answer."""
        if self._keys is not None and kid in self._keys:
            if self._stale():
                self._refresh_in_background()
            return self._keys[kid]
        if self._may_fetch():
            async with self._lock:
                # Single flight: whoever waited for the lock finds the keys just fetched (or
                # the failure's backoff).
                if self._may_fetch() and not self.known(kid):
                    await self._refresh()
        if self._keys is None:
            wait_s = max(1, math.ceil(self._not_before - self._clock()))
            raise ProviderUnavailableError(retry_after_s=wait_s)
        return self._keys.get(kid)

    def known(self, kid: str) -> bool:
        """Whether `kid` is among the keys known now (no fetch)."""
        return self._keys is not None and kid in self._keys

    def _may_fetch(self) -> bool:
        return self._clock() >= self._not_before

    def _stale(self) -> bool:
        return self._may_fetch() and self._clock() >= self._expires_at

    def _refresh_in_background(self) -> None:
        if self._background is None or self._background.done():
            self._background = asyncio.create_task(self._refresh_locked())

    async def _refresh_locked(self) -> None:
        async with self._lock:
            if self._stale():
                await self._refresh()

    async def _refresh(self) -> None:
        try:
            key_set = await self._fetch()
        except Exception as error:  # any failure: the keys known stay in use, no crash
            # The next try waits a little; the error's text only when it is ours (no secrets).
            self._not_before = self._clock() + min(RETRY_AFTER_FAILURE_S, self.min_refresh_s)
            reason = error if isinstance(error, DiscoveryError) else type(error).__name__
            logger.warning("identity provider unavailable, keys not refreshed: %s", reason)
            return
        # From when the keys arrived, not from when the fetch began.
        now = self._clock()
        self._keys = {kid: key for key in key_set.keys if isinstance(kid := key.get("kid"), str)}
        ttl_s = DEFAULT_TTL_S if key_set.max_age_s is None else key_set.max_age_s
        self._expires_at = now + min(max(ttl_s, self.min_refresh_s), MAX_TTL_S)
        self._not_before = now + self.min_refresh_s
