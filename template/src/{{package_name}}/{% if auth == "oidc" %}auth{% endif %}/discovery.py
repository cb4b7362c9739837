"""The provider's OpenID Connect discovery document, and the JWKS it points to."""

import re
from dataclasses import dataclass

import httpx

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(no-cache|no-store)\b", re.IGNORECASE)

JsonKey = dict[str, object]


@dataclass(frozen=True)
class KeySet:
    """The provider's signature keys, and how long its server said they may be kept (None: it
    did not say, or said not to cache)."""

    keys: list[JsonKey]
    max_age_s: float | None


class DiscoveryError(Exception):
    """The provider's metadata or keys could not be had, or are not what they must be."""


class Provider:
    """Reads the provider's metadata once (then keeps it), and its keys on every `key_set()`."""

    def __init__(self, *, metadata_url: str, issuer: str, timeout_s: float) -> None:
        self.metadata_url = metadata_url
        self.issuer = issuer
        self.timeout_s = timeout_s
        self._jwks_uri: str | None = None

    async def key_set(self) -> KeySet:
        # A client per fetch: fetches are rare (keys.py bounds them), and nothing is left open.
        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as client:
            try:
                jwks_uri = self._jwks_uri or await self._discover(client)
                response = await client.get(jwks_uri)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise DiscoveryError(f"the provider's keys: {error!r}") from error
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise DiscoveryError("the provider's JWKS has no `keys` list")
        # Keycloak's set also holds an encryption key (`use: enc`): only signature keys verify.
        signing = [key for key in keys if isinstance(key, dict) and key.get("use", "sig") == "sig"]
        return KeySet(signing, _max_age(response.headers.get("cache-control", "")))

    async def _discover(self, client: httpx.AsyncClient) -> str:
        response = await client.get(self.metadata_url)
        response.raise_for_status()
        metadata = response.json()
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer expected,
        # or an attacker who controls it could name keys of their own.
        if not isinstance(metadata, dict) or metadata.get("issuer") != self.issuer:
            raise DiscoveryError("the provider's metadata names another issuer than AUTH_ISSUER")
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise DiscoveryError("the provider's metadata has no jwks_uri")
        self._jwks_uri = jwks_uri
        return jwks_uri


def _max_age(cache_control: str) -> float | None:
    if _NO_CACHE.search(cache_control):
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None
