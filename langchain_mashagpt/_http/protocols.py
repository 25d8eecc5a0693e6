"""What the transport uses of an HTTP client and its responses, as `Protocol`s.

httpx and httpx2 have one API in two packages whose classes are unrelated types,
and a user's own client may be either. The transport is written against these
protocols, so mypy's strict mode checks every use of the client it makes; the
`TYPE_CHECKING` block at the end has mypy check that the clients and responses
of both libraries fit them. A client's own URL and request types are type
parameters: a request is sent by the client that built it, and the prepared URL
(`_http.transport`) is the client library's own `URL`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar

__all__ = ["AsyncClient", "ClientTimeout", "Response", "SyncClient", "Timeouts"]

_U = TypeVar("_U", contravariant=True)
"""The URL a client's `build_request` takes (its library's `URL`, or a `str`)."""
_R = TypeVar("_R")
"""The request a client builds and sends (its library's `Request`)."""
_B = TypeVar("_B", covariant=True)
"""The request a client builds, where it is only built (`_Builds`)."""

Timeouts = tuple[float | None, float | None, float | None, float | None]
"""Seconds to connect, read, write and wait for a pooled connection (`None`: no limit)."""


class ClientTimeout(Protocol):
    """A client's timeouts (`httpx.Timeout`), each cut to the deadline per request."""

    @property
    def connect(self) -> float | None:
        """Seconds to connect."""

    @property
    def read(self) -> float | None:
        """Seconds each read may wait."""

    @property
    def write(self) -> float | None:
        """Seconds each write may wait."""

    @property
    def pool(self) -> float | None:
        """Seconds to wait for a connection of the pool."""


class Response(Protocol):
    """A response whose body is read as a stream (`client.send(..., stream=True)`)."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""

    @property
    def headers(self) -> Mapping[str, str]:
        """The headers, looked up case-insensitively."""

    @property
    def is_stream_consumed(self) -> bool:
        """Whether the body was read already (a mock's), so `content` holds it."""

    @property
    def content(self) -> bytes:
        """The body read already (only once `is_stream_consumed`)."""

    def iter_raw(self) -> Iterator[bytes]:
        """The body's raw bytes as they come, still encoded (sync clients)."""

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """Async twin of `iter_raw` (async clients)."""

    def close(self) -> None:
        """Release the connection (sync clients)."""

    async def aclose(self) -> None:
        """Async twin of `close`."""


class _Builds(Protocol[_U, _B]):
    """What a sync and an async client have alike: their timeouts and how they build a request."""

    @property
    def timeout(self) -> ClientTimeout:
        """The client's own timeouts."""

    def build_request(
        self,
        method: str,
        url: _U,
        *,
        content: bytes,
        headers: Mapping[str, str],
        timeout: Timeouts = ...,
    ) -> _B:
        """A request of this client (with its own headers, query and timeouts merged in)."""


class SyncClient(_Builds[_U, _R], Protocol[_U, _R]):
    """A sync client: builds a request and sends it, its body left to be streamed."""

    def send(self, request: _R, *, stream: bool = ...) -> Response:
        """Send `request`; return once the status line and headers have arrived."""


class AsyncClient(_Builds[_U, _R], Protocol[_U, _R]):
    """Async twin of `SyncClient`."""

    async def send(self, request: _R, *, stream: bool = ...) -> Response:
        """Send `request`; return once the status line and headers have arrived."""


if TYPE_CHECKING:  # mypy checks here that both libraries' clients fit the protocols
    import httpx
    import httpx2

    def _fit(
        a: httpx.Client, b: httpx.AsyncClient, c: httpx2.Client, d: httpx2.AsyncClient
    ) -> None:
        _a: SyncClient[httpx.URL | str, httpx.Request] = a
        _b: AsyncClient[httpx.URL | str, httpx.Request] = b
        _c: SyncClient[httpx2.URL | str, httpx2.Request] = c
        _d: AsyncClient[httpx2.URL | str, httpx2.Request] = d
