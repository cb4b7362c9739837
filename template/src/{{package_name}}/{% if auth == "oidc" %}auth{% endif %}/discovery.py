"""The provider's OpenID Connect discovery document, and the JWKS it points to."""

import asyncio
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(no-cache|no-store)\b", re.IGNORECASE)

# Both documents are a few KiB; a provider that sends more is refused, not read into memory.
MAX_DOCUMENT_BYTES = 256 * 1024

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
        """The keys, or DiscoveryError; the whole fetch (discovery included) takes at most
        `timeout_s`, however slowly the provider answers."""
        try:
            async with asyncio.timeout(self.timeout_s):
                document, headers = await self._fetch_keys()
        except TimeoutError:
            raise DiscoveryError(f"the provider took over {self.timeout_s} s") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise DiscoveryError("the provider's JWKS has no `keys` list")
        # Keycloak's set also holds an encryption key (`use: enc`): only signature keys verify.
        signing = [key for key in keys if isinstance(key, dict) and key.get("use", "sig") == "sig"]
        return KeySet(signing, _max_age(headers.get("cache-control", "")))

    async def _fetch_keys(self) -> tuple[object, httpx.Headers]:
        # A client per fetch: fetches are rare (keys.py bounds them), and nothing is left open.
        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as client:
            try:
                jwks_uri = self._jwks_uri or await self._discover(client)
                return await _get_json(client, jwks_uri)
            except (httpx.HTTPError, ValueError) as error:
                raise DiscoveryError(f"the provider's keys: {error!r}") from error

    async def _discover(self, client: httpx.AsyncClient) -> str:
        metadata, _ = await _get_json(client, self.metadata_url)
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer expected,
        # or an attacker who controls it could name keys of their own.
        if not isinstance(metadata, dict) or metadata.get("issuer") != self.issuer:
            raise DiscoveryError("the provider's metadata names another issuer than AUTH_ISSUER")
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise DiscoveryError("the provider's metadata has no jwks_uri")
        # No downgrade: an https issuer's keys come over https too.
        schemes = ("https",) if urlsplit(self.issuer).scheme == "https" else ("https", "http")
        if urlsplit(jwks_uri).scheme not in schemes:
            raise DiscoveryError(f"the provider's jwks_uri must be {' or '.join(schemes)}")
        self._jwks_uri = jwks_uri
        return jwks_uri


async def _get_json(client: httpx.AsyncClient, url: str) -> tuple[object, httpx.Headers]:
    async with client.stream("GET", url) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise DiscoveryError(f"{url} answers over {MAX_DOCUMENT_BYTES} bytes")
        return json.loads(body), response.headers


def _max_age(cache_control: str) -> float | None:
    if _NO_CACHE.search(cache_control):
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None
