"""The API's documentation pages: Swagger UI at /docs, ReDoc at /redoc, both on /openapi.json.

FastAPI's own pages load their scripts from a CDN at a floating major version (`swagger-ui-dist@5`,
`redoc@2`) without an integrity check, plus a favicon and fonts from other hosts: whoever serves
those files runs code in the page. These pages pin each file's exact version and its
Subresource Integrity hash, so a browser refuses a changed file, and load nothing else.

To update: `npm pack swagger-ui-dist@X redoc@Y`, then for each file
`openssl dgst -sha384 -binary FILE | base64` (tests/test_headers.py checks the hashes' shape).
"""

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse

OPENAPI_URL = "/openapi.json"
SWAGGER_UI_URL = "/docs"
SWAGGER_UI_OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_URL = "/redoc"
# Nothing to fetch: the browser asks for no favicon from another host.
NO_FAVICON = "data:,"


@dataclass(frozen=True)
class Asset:
    url: str
    integrity: str  # sha384, as the `integrity` attribute takes it


SWAGGER_UI_JS = Asset(
    "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js",
    "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9",
)
SWAGGER_UI_CSS = Asset(
    "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui.css",
    "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I",
)
REDOC_JS = Asset(
    "https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js",
    "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5",
)
ASSETS = (SWAGGER_UI_JS, SWAGGER_UI_CSS, REDOC_JS)


def with_integrity(html: str, *assets: Asset) -> str:
    """`html` with an `integrity` (and `crossorigin`, which SRI needs) on each asset's tag."""
    for asset in assets:
        for attribute in ("src", "href"):
            html = html.replace(
                f'{attribute}="{asset.url}"',
                f'{attribute}="{asset.url}" integrity="{asset.integrity}" crossorigin="anonymous"',
            )
    return html


def install_docs(app: FastAPI) -> None:
    """Serve the documentation pages (the app is made with docs_url=None, redoc_url=None)."""

    async def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=request.scope.get("root_path", "") + OPENAPI_URL,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=SWAGGER_UI_OAUTH2_REDIRECT_URL,
            swagger_js_url=SWAGGER_UI_JS.url,
            swagger_css_url=SWAGGER_UI_CSS.url,
            swagger_favicon_url=NO_FAVICON,
            # Set where the API takes tokens (auth/setup.py): "Authorize" signs in with PKCE.
            init_oauth=app.swagger_ui_init_oauth,
        )
        return HTMLResponse(
            with_integrity(bytes(page.body).decode(), SWAGGER_UI_JS, SWAGGER_UI_CSS)
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=request.scope.get("root_path", "") + OPENAPI_URL,
            title=f"{app.title} - ReDoc",
            redoc_js_url=REDOC_JS.url,
            redoc_favicon_url=NO_FAVICON,
            with_google_fonts=False,
        )
        return HTMLResponse(with_integrity(bytes(page.body).decode(), REDOC_JS))

    app.add_route(SWAGGER_UI_URL, swagger_ui, include_in_schema=False)
    app.add_route(SWAGGER_UI_OAUTH2_REDIRECT_URL, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
