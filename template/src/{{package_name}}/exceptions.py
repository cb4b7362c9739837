"""What can go wrong, in the service's own terms. No web imports: the domain and its queries raise
these, and `errors.py`, on the web side, turns each into a problem document (404, 503)."""


class NotFoundError(Exception):
    """A resource the client named does not exist."""


class DatabaseUnavailableError(Exception):
    """The database did not answer (in time)."""
