"""The FastAPI side: the caller's `Principal` for a route, or the RFC 6750 answer why not.

Tokens are taken from the `Authorization: Bearer` header only (RFC 6750 section 2.1): one in
the query string would land in access logs, proxies and browser history, so it is refused. The
refusals are problem documents, with the `WWW-Authenticate` challenge RFC 6750 asks for.
"""

from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import OpenIdConnect, SecurityScopes

from ..observability.access import SUBJECT_SCOPE_KEY
from .errors import InvalidTokenError, ProviderUnavailableError
from .tokens import READ, WRITE, Principal, TokenValidator

# Larger than any access token a provider issues (Keycloak's: ~1.5 KiB, Entra ID's with many
# groups: ~5 KiB); a larger header is refused before anything parses it.
MAX_AUTHORIZATION_BYTES = 8 * 1024
SCHEME_NAME = "oidc"
METADATA_PATH = "/.well-known/oauth-protected-resource"
# Declares the scheme in the OpenAPI document (setup.py fills in the provider's URL); the token
# itself is read below, where the answer to a missing or malformed one is RFC 6750's.
openid_connect = OpenIdConnect(
    openIdConnectUrl=METADATA_PATH, scheme_name=SCHEME_NAME, auto_error=False
)


def resource_url(request: Request) -> str:
    """The API's identifier for RFC 9728 (its public URL): AUTH_RESOURCE, else the URL the
    request reached, which follows the client's Host header (fine on a laptop; a deployment
    sets AUTH_RESOURCE, as the chart does, so no client chooses what a cache keeps)."""
    configured: str = request.app.state.auth_resource
    return configured or str(request.base_url).rstrip("/")


def validator_of(request: Request) -> TokenValidator:
    validator: TokenValidator = request.app.state.token_validator
    return validator


async def principal(
    request: Request,
    required: SecurityScopes,
    _: Annotated[str | None, Security(openid_connect)],
) -> Principal:
    token = _bearer_token(request)
    try:
        caller = await validator_of(request).principal(token)
    except InvalidTokenError as error:
        raise _challenge(request, 401, str(error), error="invalid_token") from None
    except ProviderUnavailableError as error:
        raise HTTPException(
            503, str(error), headers={"Retry-After": str(error.retry_after_s)}
        ) from None
    request.scope[SUBJECT_SCOPE_KEY] = caller.subject
    for scope in required.scopes:
        if not caller.may(scope):
            raise _challenge(
                request,
                403,
                f"The token lacks the scope {scope}.",
                error="insufficient_scope",
                scope=scope,
            )
    return caller


Reader = Annotated[Principal, Security(principal, scopes=[READ])]
Writer = Annotated[Principal, Security(principal, scopes=[WRITE])]


def _bearer_token(request: Request) -> str:
    if "access_token" in request.query_params:
        raise _challenge(
            request,
            400,
            "Send the access token in the Authorization header, never in the URL.",
            error="invalid_request",
        )
    header = request.headers.get("authorization")
    if header is None:
        # No credentials at all: the challenge carries no error code (RFC 6750 section 3.1).
        raise _challenge(request, 401, "This operation needs a bearer access token.")
    if len(header) > MAX_AUTHORIZATION_BYTES:
        raise _challenge(
            request,
            400,
            f"The Authorization header is longer than {MAX_AUTHORIZATION_BYTES} bytes.",
            error="invalid_request",
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise _challenge(request, 401, "This operation needs a bearer access token.")
    token = token.strip(" ")
    if not token or " " in token:
        raise _challenge(
            request, 400, "The Authorization header is malformed.", error="invalid_request"
        )
    return token


def _challenge(
    request: Request, status: int, detail: str, *, error: str | None = None, scope: str = ""
) -> HTTPException:
    # Values are quoted strings (RFC 6750 section 3); none quotes the client's input.
    realm = request.app.title.replace('"', "")
    metadata = resource_url(request) + METADATA_PATH
    params = [f'realm="{realm}"', f'resource_metadata="{metadata}"']
    if error is not None:
        params.append(f'error="{error}"')
        params.append(f'error_description="{detail}"')
    if scope:
        params.append(f'scope="{scope}"')
    return HTTPException(
        status, detail, headers={"WWW-Authenticate": "Bearer " + ", ".join(params)}
    )
