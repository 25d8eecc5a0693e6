"""The only module that speaks HTTP: POST, retries, SSE streams, status → error.

`httpx2` (the maintained continuation of httpx) is used when it imports, else
`httpx`; a user's own `http_client`/`http_async_client` of either library is used
as given. Without one, a pooled client is shared by every model with the same
timeout (sync: one per process; async: one per event loop, closed when
`asyncio.run` or the loop's runner shuts its async generators down).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import sys
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from langchain_mashagpt._decode import ChunkParser, dumps, parse_completion
from langchain_mashagpt._retry import RETRY_STATUSES, retry_delay, status_error, stream_failure
from langchain_mashagpt.errors import (
    APIResponseValidationError,
    MashaGPTError,
)

if TYPE_CHECKING:
    import httpx
else:
    try:
        import httpx2 as httpx
    except ModuleNotFoundError:  # pragma: no cover - httpx2 comes with langsmith
        import httpx

__all__ = ["Transport", "aclosing_stream", "httpx"]

_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_SYNC_CLIENTS: dict[float | None, httpx.Client] = {}
_ASYNC_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[float | None, tuple[httpx.AsyncClient, Any]]
] = weakref.WeakKeyDictionary()


def _shared_client(timeout: float | None) -> httpx.Client:
    client = _SYNC_CLIENTS.get(timeout)
    if client is None:
        client = httpx.Client(timeout=timeout, limits=_LIMITS)
        _SYNC_CLIENTS[timeout] = client
        atexit.register(client.close)  # else its idle sockets are left to the GC at exit
    return client


async def _closes_with_loop(client: httpx.AsyncClient) -> AsyncIterator[None]:
    """Closes `client` when the event loop shuts its async generators down."""
    try:
        yield
    finally:
        await client.aclose()


async def _shared_async_client(timeout: float | None) -> httpx.AsyncClient:
    per_loop = _ASYNC_CLIENTS.setdefault(asyncio.get_running_loop(), {})
    entry = per_loop.get(timeout)
    if entry is None or entry[0].is_closed:
        client = httpx.AsyncClient(timeout=timeout, limits=_LIMITS)
        guard = _closes_with_loop(client)
        await guard.__anext__()  # registered with the loop from now on
        per_loop[timeout] = entry = (client, guard)
    return entry[0]


class aclosing_stream:
    """`contextlib.aclosing` for a `Transport.astream`, closed in order even at loop shutdown.

    A stream left open (a consumer that failed or stopped holding it) would be
    closed by the loop's `shutdown_asyncgens`, which closes every suspended async
    generator at once — this one and httpx's nested in it — so they fail with
    "already running" / "generator didn't stop after athrow()". A task watches the
    stream meanwhile: the runner cancels it before that step, and it then closes
    the stream, from the outside in. One task per stream, none per chunk.
    """

    def __init__(self, stream: AsyncGenerator[dict[str, Any], None]) -> None:
        self.stream = stream
        self._ended: asyncio.Future[None] | None = None

    async def __aenter__(self) -> AsyncGenerator[dict[str, Any], None]:
        self._ended = asyncio.get_running_loop().create_future()
        watcher = asyncio.ensure_future(_close_when_cancelled(self.stream, self._ended))
        _WATCHERS.add(watcher)
        watcher.add_done_callback(_WATCHERS.discard)
        return self.stream

    async def __aexit__(self, *exc_info: object) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)
        await self.stream.aclose()


_WATCHERS: set[asyncio.Future[None]] = set()


async def _close_when_cancelled(
    stream: AsyncGenerator[dict[str, Any], None], ended: asyncio.Future[None]
) -> None:
    try:
        await ended
    except asyncio.CancelledError:
        if not getattr(stream, "ag_running", False):  # else its own task is unwinding it
            await stream.aclose()
        raise


class _Prepared(NamedTuple):
    """What every request reuses, built in the client's library.

    httpx parses a `str` URL and a `dict` of headers again on each request; its
    own `URL` and `Headers` objects it takes as they are.
    """

    url: Any
    headers: Any
    transport_error: type[Exception]
    timeout_error: type[Exception]


_DRAIN_READS = 2
"""Reads allowed after `[DONE]` for the body to end (it normally has already)."""


def _drain(raws: Iterator[bytes], transport_error: type[Exception]) -> None:
    """Read a finished stream's body to its end, so its connection goes back to the pool.

    Without this the response is closed before its last (empty) chunk is read, and
    the connection with it: every stream would cost a new connection, and leave a
    socket in TIME_WAIT. A body that does not end within a few reads is given up
    (closed, as before); an error then is no error of the answer, which is whole.
    """
    with contextlib.suppress(transport_error):
        for _ in itertools.islice(raws, _DRAIN_READS):
            pass


async def _adrain(raws: AsyncGenerator[bytes, None], transport_error: type[Exception]) -> None:
    """Async twin of `_drain`."""
    with contextlib.suppress(transport_error, StopAsyncIteration):
        for _ in range(_DRAIN_READS):
            await raws.__anext__()


def _not_an_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether a 2xx answer to a stream request is a whole JSON body or HTML page."""
    return headers.get("content-type", "").startswith(("application/json", "text/html"))


def _not_a_stream(content: bytes) -> MashaGPTError:
    """The error for a JSON body (or an HTML page) sent where an event stream was asked for."""
    parse_completion(content)  # raises the server's error, or on a malformed body
    return APIResponseValidationError(
        "MashaGPT answered a streamed request with a plain JSON completion.",
        body=content.decode("utf-8", "replace"),
    )


class Transport:
    """POSTs chat completions with retries; one per `ChatMashaGPT` configuration."""

    def __init__(
        self,
        *,
        url: str,
        headers: dict[str, str],
        timeout: float | None,
        max_retries: int,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Store the configuration; clients are taken when first needed."""
        self.url = url
        self.headers = headers
        self.timeout = timeout
        self.max_retries = max_retries
        self._client = client
        self._async_client = async_client
        self._prepared: dict[type, _Prepared] = {}
        self._secret = headers.get("Authorization", "").partition(" ")[2].encode()

    def _prepare(self, client: object) -> _Prepared:
        """URL, headers and error classes for `client`, built once per client class."""
        prepared = self._prepared.get(type(client))
        if prepared is None:
            library = sys.modules[type(client).__module__.partition(".")[0]]
            prepared = _Prepared(
                library.URL(self.url),
                library.Headers(self.headers),
                library.TransportError,
                library.TimeoutException,
            )
            self._prepared[type(client)] = prepared
        return prepared

    def _retry(self, attempt: int, error: Exception | int) -> bool:
        """Whether a failed attempt (a status or an exception) is tried again."""
        if attempt >= self.max_retries:
            return False
        if isinstance(error, int):
            return error in RETRY_STATUSES or error >= 500
        return True

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST a non-streamed request; return the checked completion JSON."""
        client = self._client or _shared_client(self.timeout)
        url, headers, transport_error, timeout_error = self._prepare(client)
        body, attempt = dumps(payload), 0
        while True:
            try:
                response = client.post(url, content=body, headers=headers)
            except transport_error as exc:
                if not self._retry(attempt, exc):
                    raise stream_failure(exc, timeout_error, attempt, 0) from exc
                time.sleep(retry_delay(attempt, None))
            else:
                status = response.status_code
                if status < 300:
                    return parse_completion(response.content)
                if not self._retry(attempt, status):
                    raise status_error(
                        status, response.headers, response.content, attempt + 1, self._secret
                    )
                time.sleep(retry_delay(attempt, response.headers))
            attempt += 1

    async def apost(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Async twin of `post`."""
        client = self._async_client or await _shared_async_client(self.timeout)
        url, headers, transport_error, timeout_error = self._prepare(client)
        body, attempt = dumps(payload), 0
        while True:
            try:
                response = await client.post(url, content=body, headers=headers)
            except transport_error as exc:
                if not self._retry(attempt, exc):
                    raise stream_failure(exc, timeout_error, attempt, 0) from exc
                await asyncio.sleep(retry_delay(attempt, None))
            else:
                status = response.status_code
                if status < 300:
                    return parse_completion(response.content)
                if not self._retry(attempt, status):
                    raise status_error(
                        status, response.headers, response.content, attempt + 1, self._secret
                    )
                await asyncio.sleep(retry_delay(attempt, response.headers))
            attempt += 1

    def stream(self, payload: dict[str, Any]) -> Generator[dict[str, Any], None, None]:
        """POST a streamed request; yield checked chunk dicts until `[DONE]`.

        Retried only before the first chunk is yielded, never re-streamed.
        """
        client = self._client or _shared_client(self.timeout)
        url, headers, transport_error, timeout_error = self._prepare(client)
        body, attempt, chunks = dumps(payload), 0, 0
        while True:
            parser = ChunkParser()
            try:
                request = client.build_request("POST", url, content=body, headers=headers)
                r = client.send(request, stream=True)
                try:
                    if r.status_code < 300:
                        if _not_an_event_stream(r.headers):
                            raise _not_a_stream(r.read())
                        raws = r.iter_bytes()
                        for raw in raws:
                            for chunk in parser.feed(raw):
                                chunks += 1
                                yield chunk
                            if parser.done:
                                _drain(raws, transport_error)
                                return
                        yield from parser.close()
                        return
                    content = r.read()
                finally:
                    r.close()
            except transport_error as exc:
                if chunks or not self._retry(attempt, exc):
                    raise stream_failure(exc, timeout_error, attempt, chunks) from exc
                time.sleep(retry_delay(attempt, None))
            else:
                if not self._retry(attempt, r.status_code):
                    raise status_error(r.status_code, r.headers, content, attempt + 1, self._secret)
                time.sleep(retry_delay(attempt, r.headers))
            attempt += 1

    async def astream(self, payload: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """Async twin of `stream`."""
        client = self._async_client or await _shared_async_client(self.timeout)
        url, headers, transport_error, timeout_error = self._prepare(client)
        body, attempt, chunks = dumps(payload), 0, 0
        while True:
            parser = ChunkParser()
            try:
                request = client.build_request("POST", url, content=body, headers=headers)
                r = await client.send(request, stream=True)
                try:
                    if r.status_code < 300:
                        if _not_an_event_stream(r.headers):
                            raise _not_a_stream(await r.aread())
                        # Closed in order by us, not by the loop's asyncgen finalizer.
                        raws = cast("AsyncGenerator[bytes, None]", r.aiter_bytes())
                        async with contextlib.aclosing(raws):
                            async for raw in raws:
                                for chunk in parser.feed(raw):
                                    chunks += 1
                                    yield chunk
                                if parser.done:
                                    await _adrain(raws, transport_error)
                                    return
                        for chunk in parser.close():
                            yield chunk
                        return
                    content = await r.aread()
                finally:
                    await r.aclose()
            except transport_error as exc:
                if chunks or not self._retry(attempt, exc):
                    raise stream_failure(exc, timeout_error, attempt, chunks) from exc
                await asyncio.sleep(retry_delay(attempt, None))
            else:
                if not self._retry(attempt, r.status_code):
                    raise status_error(r.status_code, r.headers, content, attempt + 1, self._secret)
                await asyncio.sleep(retry_delay(attempt, r.headers))
            attempt += 1
