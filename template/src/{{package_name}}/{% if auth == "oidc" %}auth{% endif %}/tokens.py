"""An access token in, the `Principal` it speaks for out, or InvalidTokenError saying why not.

PyJWT does the parsing and the cryptography; this module decides what is accepted: an algorithm
from the allow-list that fits the key's type, the `typ` of an access token, and the registered
claims (`iss`, `aud`, `exp`, `iat`, `nbf` when present) with a small leeway.
"""

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt

from ..settings import Settings
from .discovery import JsonKey
from .errors import InvalidTokenError
from .keys import KeyCache

READ = "items:read"
WRITE = "items:write"
SCOPES = (READ, WRITE)

# The key type (and curve) each algorithm needs: a token's `alg` must fit the key it names.
_KEY_TYPES = {
    **dict.fromkeys(("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"), ("RSA", None)),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),
}
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# Tokens verified, by their SHA-256, kept until they expire: a client sends the same token on
# every request until it refreshes it, and a signature check costs more than the rest of the
# validation. Bounded: past this many, the oldest entry makes room.
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """Who calls, as their token says: its subject, its scopes, and whether it is the admin."""

    subject: str
    scopes: frozenset[str]
    admin: bool

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class TokenValidator:
    def __init__(self, settings: Settings, keys: KeyCache) -> None:
        self.keys = keys
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.algorithms = frozenset(settings.auth_algorithms)
        self.token_types = frozenset(typ.lower() for typ in settings.auth_jwt_types)
        self.leeway_s = settings.auth_leeway_s
        self.roles_path = settings.auth_roles_claim.split(".")
        self.admin_role = settings.auth_admin_role
        self.admin_scope = settings.auth_admin_scope
        # A plain `JWT` may be an ID token: then what only ID tokens carry is refused.
        self.refuse_id_tokens = "jwt" in self.token_types
        # Each key parsed once per algorithm, not on every request (bounded: only keys the
        # provider publishes get here).
        self._parsed: dict[tuple[str, str], tuple[JsonKey, jwt.PyJWK]] = {}
        # Each entry keeps its key's id: once the provider no longer publishes that key, the
        # entry is dropped and the token verified again (and refused).
        self._verified: dict[bytes, tuple[Principal, float, str]] = {}

    async def principal(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        if (known := self._verified.get(digest)) is not None:
            caller, valid_until, kid = known
            if time.time() <= valid_until and self.keys.known(kid):
                return caller
            del self._verified[digest]
        caller, expires_at, kid = await self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        # Until PyJWT itself would refuse it: `exp` plus the leeway.
        self._verified[digest] = (caller, expires_at + self.leeway_s, kid)
        return caller

    async def _verify(self, token: str) -> tuple[Principal, float, str]:
        """The token's principal, its `exp` and its key's id, or InvalidTokenError."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError("The token is not a well-formed JWT.") from None
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ", "JWT")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise InvalidTokenError("The token's signature algorithm is not accepted.")
        if not isinstance(typ, str) or typ.lower() not in self.token_types:
            raise InvalidTokenError("The token is not an access token (its `typ`).")
        if not isinstance(kid, str):
            raise InvalidTokenError("The token names no signing key (`kid`).")
        # RFC 7515 section 4.1.11: extensions a token marks critical must be understood, and
        # this API understands none (PyJWT checks only its own, `b64`).
        if "crit" in header or "b64" in header:
            raise InvalidTokenError("The token uses a JWS extension this API does not accept.")
        jwk = await self.keys.key(kid)
        if jwk is None:
            raise InvalidTokenError("The token's signing key is unknown.")
        claims = self._verified_claims(token, self._public_key(kid, jwk, alg), alg)
        # OpenID Connect ID tokens: Keycloak's say `typ: ID`; every provider's may carry a
        # `nonce` or an `at_hash`, which access tokens (RFC 9068) do not.
        if self.refuse_id_tokens and (
            claims.get("typ") == "ID" or "nonce" in claims or "at_hash" in claims
        ):
            raise InvalidTokenError("The token is an ID token, not an access token.")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidTokenError("The token has no subject.")
        scopes = _scopes(claims)
        admin = self.admin_role in _strings_at(claims, self.roles_path) or (
            bool(self.admin_scope) and self.admin_scope in scopes
        )
        expires_at = claims["exp"]
        if not isinstance(expires_at, int | float):  # PyJWT has checked it is a number
            raise InvalidTokenError("The token's `exp` is not a number.")
        return Principal(subject=subject, scopes=scopes, admin=admin), float(expires_at), kid

    def _verified_claims(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, object]:
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("The token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise InvalidTokenError("The token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise InvalidTokenError("The token is meant for another audience.") from None
        except jwt.InvalidIssuerError:
            raise InvalidTokenError("The token comes from another issuer.") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidTokenError(f"The token lacks the `{error.claim}` claim.") from None
        except jwt.PyJWTError:
            raise InvalidTokenError("The token's signature or claims are invalid.") from None
        return claims

    def _public_key(self, kid: str, jwk: JsonKey, alg: str) -> jwt.PyJWK:
        parsed = self._parsed.get((kid, alg))
        if parsed is None or parsed[0] is not jwk:  # new, or the provider reused the kid
            parsed = self._parsed[kid, alg] = (jwk, _public_key(jwk, alg))
        return parsed[1]


def _public_key(jwk: JsonKey, alg: str) -> jwt.PyJWK:
    kty, crv = _KEY_TYPES[alg]
    # The key must be of the algorithm's type, and may pin its algorithm (`alg` in the JWK).
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise InvalidTokenError("The token's algorithm does not fit its signing key.")
    if jwk.get("alg", alg) != alg:
        raise InvalidTokenError("The token's algorithm does not fit its signing key.")
    try:
        return jwt.PyJWK(dict(jwk), algorithm=alg)
    except jwt.PyJWTError:
        raise InvalidTokenError("The token's signing key is unusable.") from None


def _scopes(claims: Mapping[str, object]) -> frozenset[str]:
    # `scope` is a space-separated string (RFC 9068, RFC 8693); Entra ID and Hydra send a list,
    # or a string, as `scp`.
    granted: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(scope for scope in value if isinstance(scope, str))
    return frozenset(granted)


def _strings_at(claims: Mapping[str, object], path: list[str]) -> list[str]:
    value: object = claims
    for name in path:
        if not isinstance(value, Mapping):
            return []
        value = value.get(name)
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
