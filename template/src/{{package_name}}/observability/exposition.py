"""The metrics port: every worker's samples, served by the supervisor on a port of its own.

The API's port never answers /metrics: what an ingress routes to is the API alone, and a
NetworkPolicy can open the metrics port to Prometheus only. The supervisor serves it, not a
worker, so a scrape never waits behind one busy, stopped or booting worker, and it reads what
every worker wrote to PROMETHEUS_MULTIPROC_DIR (which `serve.py` sets before this module is
imported: prometheus_client reads it on import).

A scrape is answered only while the API answers its liveness probe on its own port: a server
whose workers all hang fails its scrapes, as a scrape served by a worker would, so Prometheus'
`up` (and ApiDown, which rests on it) says whether the API serves, not whether the supervisor
lives.
"""

import http.client
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app, multiprocess
from prometheus_client.exposition import ThreadingWSGIServer

PROBE_PATH = "/health/live"  # answers without the database: a scrape must not fail with it
# As long as the chart's liveness probe waits, and within Prometheus' scrape timeout.
PROBE_TIMEOUT_S = 2.0
# A client that connects and sends nothing is let go after this (scrapes take milliseconds).
IDLE_TIMEOUT_S = 10.0
NOT_SERVING = b"The API does not answer its liveness probe: no worker took it in time.\n"
# A worker's new metrics file is sized microseconds after it is created.
COLLECT_ATTEMPTS = 5
COLLECT_RETRY_S = 0.01


class _MetricsServer(ThreadingWSGIServer):
    # As the API's listener (serving/listener.py): a restart binds at once past TIME_WAIT, and on
    # Windows, where the option would let a second server bind the port too, it is off.
    allow_reuse_address = sys.platform != "win32"


class _MetricsServer6(_MetricsServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    timeout = IDLE_TIMEOUT_S

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes come every few seconds: none is logged."""


@contextmanager
def serving_metrics(host: str, port: int, api_port: int) -> Iterator[int]:
    """Serve every worker's samples on `host`:`port` (any path: Prometheus asks for /metrics)
    while the API on `host`:`api_port` answers, until the block ends; the port it listens on.
    OSError when the address is taken."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    server_class = _MetricsServer6 if ":" in host else _MetricsServer
    server = server_class((host, port), _QuietHandler)
    server.set_app(_while_answering(make_wsgi_app(registry), _loopback(host), api_port))
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _while_answering(app: WSGIApplication, host: str, port: int) -> WSGIApplication:
    """`app`, answering 503 instead while the API on `host`:`port` does not answer its probe."""

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not _answers(host, port):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [NOT_SERVING]
        for _ in range(COLLECT_ATTEMPTS - 1):
            try:
                return app(environ, start_response)  # collects before it starts the response
            except struct.error:
                # A booting worker's file read between its creation and its sizing
                # (prometheus_client's MmapedDict creates it empty, then truncates it up).
                time.sleep(COLLECT_RETRY_S)
        return app(environ, start_response)

    return guarded


def _answers(host: str, port: int) -> bool:
    # http.client, not urllib: a proxy from the environment must never stand in for the API.
    connection = http.client.HTTPConnection(host, port, timeout=PROBE_TIMEOUT_S)
    try:
        connection.request("GET", PROBE_PATH)
        return connection.getresponse().status == http.HTTPStatus.OK
    except OSError:  # refused, reset or timed out
        return False
    except http.client.HTTPException:  # an answer that is not HTTP
        return False
    finally:
        connection.close()


def _loopback(host: str) -> str:
    """Where this machine reaches a server bound to `host`: a wildcard address by loopback."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
