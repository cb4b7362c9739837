"""One listening socket per worker, where the kernel balances connections between such sockets.

Workers that share one socket take connections as they happen to wake up: 16 keep-alive
connections from one client have been seen split 16/0 between two workers, one saturated and
one idle (docs/decisions.md). Sockets bound to one port with SO_REUSEPORT each have their own
queue, and Linux hashes every new connection to one of them; FreeBSD does the same with
SO_REUSEPORT_LB. macOS and Windows do not balance such a group: there the workers share one
socket, as uvicorn's own supervisor has them.
"""

import socket
import sys

# The queue of connections not yet accepted, per socket (uvicorn's default).
BACKLOG = 2048


# The option that makes a group of sockets share a port, balanced, by platform.
BALANCING_OPTIONS = {"linux": "SO_REUSEPORT", "freebsd": "SO_REUSEPORT_LB"}


def balancing_option() -> int | None:
    """This platform's balancing option, or None."""
    name = next(
        (option for prefix, option in BALANCING_OPTIONS.items() if sys.platform.startswith(prefix)),
        None,
    )
    option: int | None = getattr(socket, name, None) if name else None
    return option


def per_worker_listeners(host: str, port: int, count: int) -> list[socket.socket] | None:
    """`count` listening sockets on one address, one per worker, or None where the platform
    does not balance connections between them (or one worker has no one to share with).

    They are bound and listening before any worker starts: a connection that arrives early, or
    while a worker is being replaced, waits in its socket's queue instead of being refused.
    """
    option = balancing_option()
    if option is None or count < 2:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listeners: list[socket.socket] = []
    try:
        for _ in range(count):
            listener = socket.socket(family, socket.SOCK_STREAM)
            listeners.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.setsockopt(socket.SOL_SOCKET, option, 1)
            # Port 0 asks for a free port: the others join the one the first was given.
            listener.bind((host, port or listeners[0].getsockname()[1]))
            listener.listen(BACKLOG)
    except OSError:
        for listener in listeners:
            listener.close()
        raise
    return listeners
