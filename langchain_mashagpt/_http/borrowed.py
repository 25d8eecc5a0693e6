"""What the package borrows from inside the HTTP libraries: every private attribute it touches.

httpx and httpx2, httpcore and httpcore2, and h11 offer no public way to do two
things the package needs: give a pooled client's connections a network backend
of our own (`_http.sockets`, the deadline at the socket), and tell whether the
rest of a body is already in hand (`_http.reading.read_now`, after `[DONE]`).
Every such reach lives in this file and nowhere else, each in a small function
that names what it reads. None of them raises: when a release has moved an
attribute, each returns its documented fallback and the package goes on as it
would without the reach (the client's own timeouts only; a response closed
rather than drained). `tests/unit_tests/test_borrowed.py` checks each one on the
libraries' real objects, so a rename fails a test before it reaches a user.
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = [
    "buffered_body",
    "network_backend",
    "set_network_backend",
    "timeout_errors",
    "transports",
]

_TIMEOUTS = ("ConnectTimeout", "ReadTimeout", "WriteTimeout")
_DEPTH = 6
"""Links followed at most from a response's stream to its HTTP/1.1 connection."""


def transports(client: object) -> list[object]:
    """The transports of an httpx/httpx2 client: the direct one and those mounted (proxies).

    Reads `client._transport` and `client._mounts` (a dict of pattern to
    transport, or `None` for a pattern mounted as "no transport").

    Returns:
        The transports found, those mounted as `None` included; without
        `_transport`, none; without `_mounts`, the direct one only.
    """
    direct = getattr(client, "_transport", None)
    if direct is None:
        return []
    mounts = getattr(client, "_mounts", None)
    mounted = list(mounts.values()) if isinstance(mounts, dict) else []
    return [direct, *mounted]


def network_backend(transport: object) -> object | None:
    """The network backend a transport's connection pool connects through.

    Reads `transport._pool` (httpx's `HTTPTransport` holds an httpcore
    `ConnectionPool` there) and the pool's `_network_backend`.

    Returns:
        The backend, or `None` when either attribute is missing (a mock
        transport, a `None` mount, a library that has moved them).
    """
    return getattr(getattr(transport, "_pool", None), "_network_backend", None)


def set_network_backend(transport: object, backend: object) -> bool:
    """Make a transport's pool connect through `backend` from its next connection on.

    Writes `transport._pool._network_backend`, only where it is there already
    (`network_backend` is not `None`): a pool without it is left as it is.

    Returns:
        Whether the backend was set.
    """
    if network_backend(transport) is None:
        return False
    transport._pool._network_backend = backend  # type: ignore[attr-defined]
    return True


def timeout_errors(transport: object) -> ModuleType | None:
    """The library of a transport's pool (httpcore or httpcore2): the timeouts a backend raises.

    Reads `transport._pool`, and finds the package its class was defined in from
    `type(pool).__module__` (httpcore's pools live in `httpcore._sync` and
    `httpcore._async`, and the package exports its errors at the top).

    Returns:
        The package, imported already, with `ConnectTimeout`, `ReadTimeout` and
        `WriteTimeout`; or `None` when there is no pool, its package is not
        imported, or lacks one of them.
    """
    pool = getattr(transport, "_pool", None)
    if pool is None:
        return None
    library = sys.modules.get(type(pool).__module__.partition(".")[0])
    if library is None or not all(hasattr(library, name) for name in _TIMEOUTS):
        return None
    return library


def buffered_body(response: object) -> bytes | None:
    """The bytes of a response's connection received but not yet parsed (what h11 holds back).

    Walks from `response.stream` to the HTTP/1.1 connection under it: httpx's
    `BoundSyncStream._stream`, its `ResponseStream._httpcore_stream`, httpcore's
    `PoolByteStream._stream` and its `_connection`, up to `_DEPTH` links; then
    reads that connection's h11 parser, `_h11_state.trailing_data[0]`.

    Returns:
        The bytes (empty when nothing is held back), or `None` when it cannot
        tell: an HTTP/2 connection, a mock's stream, or an attribute moved.
    """
    stream = getattr(response, "stream", None)
    for _ in range(_DEPTH):
        h11_state = getattr(stream, "_h11_state", None)
        if h11_state is not None:
            trailing = getattr(h11_state, "trailing_data", None)  # (bytes, closed)
            held = trailing[0] if isinstance(trailing, tuple) and trailing else None
            return bytes(held) if isinstance(held, bytes | bytearray) else None
        stream = getattr(stream, "_stream", None) or getattr(stream, "_httpcore_stream", None)
        stream = getattr(stream, "_connection", stream)
    return None
