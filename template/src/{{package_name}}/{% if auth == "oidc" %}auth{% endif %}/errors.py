"""Why a request's credentials were refused, in the resource server's own terms: the FastAPI side
(`dependencies.py`) turns each into its RFC 6750 answer."""


class InvalidTokenError(Exception):
    """The token is not one this API accepts (401, `error="invalid_token"`). The message says
    why, for the client; it never quotes the token."""


class ProviderUnavailableError(Exception):
    """No signing key is known and the identity provider did not answer: the request may succeed
    later (503), and is not the client's fault."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("The identity provider is unavailable; retry later.")
        self.retry_after_s = retry_after_s
