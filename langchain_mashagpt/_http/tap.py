"""A tap on the wire for `mashagpt-check`: an httpx transport that keeps every exchange's raw bytes.

`ChatMashaGPT` is given an `httpx.Client` built on a `Tap`, so the check sees
both what the package made of an answer and the bytes it was made of. The
bytes are copied as the package reads them; nothing is read ahead or twice.
The check's own requests go over the same client: `Client`, `Response` and
`TransportError` name what it holds, gets back and catches, so that `check/`
needs no HTTP library of its own (only `_http/` imports one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

import httpx

__all__ = ["Client", "Exchange", "Response", "Tap", "TransportError", "client"]

Client: TypeAlias = httpx.Client
"""The tapped client (`client` builds it)."""
Response: TypeAlias = httpx.Response
"""What the tapped client answers a request with."""
TransportError = httpx.TransportError
"""What the tapped client raises when no answer came (connection, timeout, protocol)."""


@dataclass
class Exchange:
    """One request and its answer, as far as the answer was read."""

    request: bytes
    status: int = 0
    content_type: str = ""
    body: bytearray = field(default_factory=bytearray)


class _Tee(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, exchange: Exchange) -> None:
        self._stream = stream
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        for part in self._stream:
            self._exchange.body += part
            yield part

    def close(self) -> None:
        self._stream.close()


class Tap(httpx.BaseTransport):
    """Passes requests to `inner` and keeps each exchange in `exchanges`."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        """Wrap `inner` (default: a plain `httpx.HTTPTransport`)."""
        self.inner = inner or httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through `inner`; tee the answer's body into a new `Exchange`."""
        exchange = Exchange(request.read())
        self.exchanges.append(exchange)
        response = self.inner.handle_request(request)
        exchange.status = response.status_code
        exchange.content_type = response.headers.get("content-type", "")
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _Tee(response.stream, exchange)
        return response

    def close(self) -> None:
        """Close `inner`."""
        self.inner.close()


def client(tap: Tap, timeout: float) -> httpx.Client:
    """An `httpx.Client` that sends through `tap`."""
    return httpx.Client(transport=tap, timeout=timeout)
