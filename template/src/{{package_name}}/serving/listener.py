"""The one listening socket every worker shares, as uvicorn's own supervisor has it.

Workers that share one socket take connections as they become free to accept them, so a worker
that is blocked, stopped, killed or still booting takes none and the others serve them. A
socket per worker (SO_REUSEPORT) was tried and dropped: the kernel hashes each new connection
to one socket whatever its worker is doing, and the connections hashed to a stalled worker wait
for it (docs/decisions.md: measured side by side).

The socket is bound without SO_REUSEPORT, so a second instance on the same port, or workers left
over from an earlier one, make the bind fail at once instead of sharing the port unnoticed.
"""

import socket
import sys

# The queue of connections not yet accepted (uvicorn's default).
BACKLOG = 2048


def bind_listener(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`; OSError when the address is taken or unusable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            # Restart at once while the last run's connections linger in TIME_WAIT. Not on
            # Windows, where the option would let a second server bind the port too.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except OSError:
        listener.close()
        raise
    return listener
