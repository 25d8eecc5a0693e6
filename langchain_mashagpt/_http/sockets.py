"""The call's deadline at the socket, for the pooled clients.

httpx takes a timeout per connect, read and write, and a server can make every
read succeed: `102 Processing` every second before the status line, headers
dripped a byte at a time, a body that stalls just before the deadline. The
transport checks the deadline between the body's reads; inside one read, or
inside the client's wait for the status line, only the socket can. So the
pooled clients (`_http.pool`) make their connections through a backend whose streams
cut the timeout of every connect, TLS handshake, read and write to what is left
of the deadline of the call running in this context, and time out at once when
nothing is left. `DEADLINE` holds that end (a `time.monotonic()` time); the
transport sets it around each blocking step only (`within`), so it never leaks
into the caller's code between the chunks of a stream. Outside a call, or for a
call with no deadline, the streams pass everything through unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from langchain_mashagpt._http import borrowed
from langchain_mashagpt._http.deadline import cut, remaining

__all__ = ["DEADLINE", "bound_sockets", "within"]

DEADLINE: ContextVar[float | None] = ContextVar("langchain_mashagpt_deadline", default=None)
"""When the call running in this context must end (`time.monotonic()`), or `None`."""


class within:
    """Within the block, the pooled clients' sockets end by `ends` (`None`: no deadline)."""

    __slots__ = ("_ends", "_token")

    def __init__(self, ends: float | None) -> None:
        self._ends = ends

    def __enter__(self) -> None:
        self._token = DEADLINE.set(self._ends)

    def __exit__(self, *exc_info: object) -> None:
        DEADLINE.reset(self._token)


def _cut(
    timeout: float | None,
    error: type[Exception],
    _ends: Callable[[], float | None] = DEADLINE.get,
    _now: Callable[[], float] = time.monotonic,
) -> float | None:
    """`timeout` cut to what is left of the deadline; raise `error` if nothing is.

    Runs on every read: the lookups are bound once, as defaults.
    """
    left = remaining(_ends(), _now)
    if left is None:
        return timeout
    if left <= 0:
        raise error("The call's deadline has passed.")
    return cut(timeout, left)


class _Stream:
    """A sync network stream whose every wait ends by the deadline."""

    __slots__ = ("_errors", "_stream")

    def __init__(self, stream: Any, errors: Any) -> None:
        self._stream = stream
        self._errors = errors

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _cut(timeout, self._errors.ReadTimeout))  # type: ignore[no-any-return]

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _cut(timeout, self._errors.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        try:
            timeout = _cut(timeout, self._errors.ConnectTimeout)
        except Exception:
            self._stream.close()  # as the stream's own start_tls does when it fails
            raise
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, timeout), self._errors)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncStream:
    """Async twin of `_Stream`."""

    __slots__ = ("_errors", "_stream")

    def __init__(self, stream: Any, errors: Any) -> None:
        self._stream = stream
        self._errors = errors

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _cut(timeout, self._errors.ReadTimeout))  # type: ignore[no-any-return]

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _cut(timeout, self._errors.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _AsyncStream:
        try:
            timeout = _cut(timeout, self._errors.ConnectTimeout)
        except Exception:
            await self._stream.aclose()  # as the stream's own start_tls does when it fails
            raise
        stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _AsyncStream(stream, self._errors)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend:
    """A sync network backend whose connections are `_Stream`s."""

    def __init__(self, backend: Any, errors: Any) -> None:
        self._backend = backend
        self._errors = errors

    def _bounded(self, options: dict[str, Any]) -> dict[str, Any]:
        """The connect options httpcore passes (all by keyword), the timeout cut to the deadline."""
        return {**options, "timeout": _cut(options.get("timeout"), self._errors.ConnectTimeout)}

    def connect_tcp(self, host: str, port: int, **options: Any) -> _Stream:
        stream = self._backend.connect_tcp(host, port, **self._bounded(options))
        return _Stream(stream, self._errors)

    def connect_unix_socket(self, path: str, **options: Any) -> _Stream:
        stream = self._backend.connect_unix_socket(path, **self._bounded(options))
        return _Stream(stream, self._errors)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncBackend(_Backend):
    """Async twin of `_Backend`."""

    async def connect_tcp(  # type: ignore[override]
        self, host: str, port: int, **options: Any
    ) -> _AsyncStream:
        stream = await self._backend.connect_tcp(host, port, **self._bounded(options))
        return _AsyncStream(stream, self._errors)

    async def connect_unix_socket(  # type: ignore[override]
        self, path: str, **options: Any
    ) -> _AsyncStream:
        stream = await self._backend.connect_unix_socket(path, **self._bounded(options))
        return _AsyncStream(stream, self._errors)

    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        await self._backend.sleep(seconds)


def bound_sockets(client: Any) -> None:
    """Make the connections of `client` (an httpx/httpx2 client we built) end by the deadline.

    Every transport of the client is covered: the direct one and those mounted
    for proxies. The network backend is a private attribute of httpcore's pools
    (`_http.borrowed`), so a library that has moved it leaves the client as it is
    (the transport still checks the deadline between reads); a test checks it is there.
    """
    wrapper = _AsyncBackend if hasattr(client, "aclose") else _Backend
    for transport in borrowed.transports(client):
        backend = borrowed.network_backend(transport)
        if backend is None or isinstance(backend, _Backend):
            continue
        errors = borrowed.timeout_errors(transport)
        if errors is not None:
            borrowed.set_network_backend(transport, wrapper(backend, errors))
