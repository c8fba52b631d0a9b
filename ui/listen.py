"""Where a server channel may listen: loopback or not, and a bound socket that refuses a busy port clearly.

`finops mcp --http` and `finops collect` both bind through here, so both refuse
the same hosts and report a busy port the same way.
"""

from __future__ import annotations

import ipaddress
import socket

from warehouse.errors import FinopsError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.5")]
    [True, True, True, False, False]
    """
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """A bound listening socket, so a busy port is a clear refusal and --port 0 picks a free one."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(backlog)
    except OSError as error:
        raise FinopsError(f"Cannot listen on {host}:{port}: {error.strerror or error}. Choose another --port or --host.") from None
    return listener
