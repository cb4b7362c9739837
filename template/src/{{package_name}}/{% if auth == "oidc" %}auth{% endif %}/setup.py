"""Wires the resource server into the app: the validator each request's dependency uses, the
RFC 9728 metadata that tells a client where to get a token, and the OpenAPI security scheme
Swagger UI signs in with (authorization code + PKCE, the public docs client)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..settings import Settings
from .dependencies import METADATA_PATH, SCHEME_NAME, resource_url
from .discovery import Provider
from .keys import KeyCache
from .tokens import READ, SCOPES, WRITE, TokenValidator


def install_auth(app: FastAPI, settings: Settings) -> None:
    provider = Provider(
        metadata_url=settings.auth_discovery_url,
        issuer=settings.auth_issuer,
        timeout_s=settings.auth_http_timeout_s,
    )
    keys = KeyCache(provider.key_set, min_refresh_s=settings.auth_jwks_min_refresh_s)
    app.state.token_validator = TokenValidator(settings, keys)
    app.state.auth_resource = settings.auth_resource

    async def protected_resource_metadata(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "resource": resource_url(request),
                "authorization_servers": [settings.auth_issuer],
                # Only scopes a client can get: the admin's, when it is one (AUTH_ADMIN_SCOPE).
                "scopes_supported": [*SCOPES, *filter(None, [settings.auth_admin_scope])],
                "bearer_methods_supported": ["header"],
                "resource_name": app.title,
            }
        )

    app.add_api_route(METADATA_PATH, protected_resource_metadata, include_in_schema=False)
    app.swagger_ui_init_oauth = {
        "clientId": settings.auth_docs_client_id,
        "usePkceWithAuthorizationCodeGrant": True,
        "scopes": f"openid {READ} {WRITE}",
    }
    _declare_provider(app, settings)


def _declare_provider(app: FastAPI, settings: Settings) -> None:
    # The browser (Swagger UI) reads the provider's metadata itself: from the issuer, the name
    # the browser knows it by (AUTH_METADATA_URL may be an in-cluster name).
    discovery_url = settings.auth_issuer.rstrip("/") + "/.well-known/openid-configuration"
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build_openapi()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[SCHEME_NAME] = {"type": "openIdConnect", "openIdConnectUrl": discovery_url}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
