"""Who calls: the API as an OAuth 2.0 resource server (answer `auth=oidc`).

Bearer access tokens (JWT, RFC 9068 where the provider issues it) from an OpenID Connect provider
are verified with PyJWT against the provider's published keys: `discovery` finds them, `keys`
caches them, `tokens` turns a token into a `Principal` or refuses it, `dependencies` is the FastAPI
side (RFC 6750 errors), and `setup` wires it all into the app (RFC 9728 metadata, OpenAPI).
"""
