"""Prometheus metrics of the HTTP API (the RED method: rate, errors, duration).

Correct with several worker processes: when PROMETHEUS_MULTIPROC_DIR is set (the launcher in
`serve.py` sets and wipes it), every process writes its samples there, and the supervisor adds
them up on the metrics port (exposition.py), never on the API's.
"""

from collections.abc import Iterable
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

# Every latency objective in k6/slo.json (0.25 s and 0.5 s) is a bucket boundary, so Prometheus
# counts exactly the requests that met it instead of interpolating.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Labels are bounded: the route *template* (/items/{item_id}), never the raw path.
REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "route", "status_code"]
)
# status_class (2xx..5xx): a 5xx answered fast is no request "within" its latency objective; the
# latency SLI leaves server errors to the error SLI (stack/slo.py).
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route", "status_class"],
    buckets=LATENCY_BUCKETS,
)
# The route is known only once routing is done, so requests in flight are counted per method.
IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being answered",
    ["method"],
    multiprocess_mode="livesum",
)
EXCEPTIONS = Counter(
    "http_exceptions_total", "Unhandled exceptions while answering", ["exception_type"]
)
# Which exceptions will escape is unknown until one does; this series is the total before the
# first one. An empty label is no label to Prometheus: `http_exceptions_total 0`.
NO_EXCEPTION_YET = ""


# labels() validates and locks on every call: each series is looked up once per process instead.
# The caches stay as small as the label sets (HTTP methods, route templates, status codes).
@cache
def in_progress(method: str) -> Gauge:
    return IN_PROGRESS.labels(method)


@cache
def answered(method: str, route: str, status_code: int) -> tuple[Counter, Histogram]:
    """The request counter and the latency histogram of one kind of answered request."""
    status_class = f"{status_code // 100}xx"
    return REQUESTS.labels(method, route, str(status_code)), DURATION.labels(
        method, route, status_class
    )


def start_at_zero(operations: Iterable[tuple[str, str, Iterable[int]]]) -> None:
    """Create every series the dashboards and alerts query, at 0, before the first request.

    `operations` are (method, route template, the statuses it answers with). A series that is
    missing rather than 0 makes a panel say "no data" and a rate over it undefined, until the
    first request of its kind.
    """
    EXCEPTIONS.labels(NO_EXCEPTION_YET)
    for method, route, statuses in operations:
        in_progress(method)
        for status_code in statuses:
            answered(method, route, status_code)
