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
import email.utils
import itertools
import random
import sys
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from langchain_mashagpt._decode import ChunkParser, dumps, error_payload, loads, parse_completion
from langchain_mashagpt.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    IncompleteStreamError,
    MashaGPTError,
    status_error_class,
)

if TYPE_CHECKING:
    import httpx
else:
    try:
        import httpx2 as httpx
    except ModuleNotFoundError:  # pragma: no cover - httpx2 comes with langsmith
        import httpx

__all__ = ["Transport", "aclosing_stream", "httpx"]

INITIAL_BACKOFF = 0.5
"""Seconds before the first retry when the server does not say (then doubled)."""
MAX_BACKOFF = 8.0
"""The longest computed wait between two attempts, in seconds."""
MAX_RETRY_AFTER = 60.0
"""The longest `Retry-After` honoured; a longer one falls back to the backoff."""
RETRY_STATUSES = frozenset({408, 409, 429})
"""Statuses retried besides every 5xx."""
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


def _retry_delay(attempt: int, headers: Mapping[str, str] | None) -> float:
    """Seconds to wait before retry number `attempt + 1`."""
    if headers is not None:
        try:
            if (ms := headers.get("retry-after-ms")) is not None:
                wait = float(ms) / 1000
            elif (value := headers.get("retry-after")) is not None:
                try:
                    wait = float(value)
                except ValueError:
                    date = email.utils.parsedate_to_datetime(value)
                    wait = date.timestamp() - time.time()
            else:
                wait = -1.0
            if 0 <= wait <= MAX_RETRY_AFTER:
                return float(wait)
        except (TypeError, ValueError):
            pass
    backoff = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return backoff * random.uniform(0.75, 1.0)


_HINTS = {
    400: "Fix the request as the server says.",
    401: "Check the API key: set MASHAGPT_API_KEY or pass api_key=.",
    402: "Top up the account's energy balance at mashagpt.ru.",
    403: "This key may not use this model or endpoint.",
    404: "Check the model name and base_url.",
    429: "Rate limited: send fewer requests at once or raise max_retries.",
}


def _status_error(
    status: int, headers: Mapping[str, str], content: bytes, attempts: int, secret: bytes = b""
) -> MashaGPTError:
    if secret and secret in content:  # a server that echoes the rejected key back
        content = content.replace(secret, b"<API key>")
    try:
        body: Any = loads(content)
    except ValueError:
        body = content.decode("utf-8", "replace")
    message, code, error_type = error_payload(body)
    if message is None:
        message = str(body)[:300] or "(empty body)"
    hint = _HINTS.get(status, "The server failed; try again later." if status >= 500 else "")
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return status_error_class(status)(
        f"MashaGPT answered HTTP {status}{tries}: {message} {hint}".rstrip(),
        status_code=status,
        body=body,
        code=code,
        error_type=error_type,
        request_id=headers.get("x-request-id") or headers.get("request-id"),
        headers=dict(headers),
        attempts=attempts,
    )


def _connection_error(exc: Exception, is_timeout: bool, attempts: int) -> MashaGPTError:
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if is_timeout:
        return APITimeoutError(
            f"MashaGPT did not answer in time{tries} ({type(exc).__name__}). "
            "Raise timeout= or max_retries=, or try again later.",
            attempts=attempts,
        )
    return APIConnectionError(
        f"Could not talk to MashaGPT{tries}: {type(exc).__name__}: {exc}. "
        "Check base_url and the network.",
        attempts=attempts,
    )


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

    def _failure(
        self, exc: Exception, timeout_error: type[Exception], attempt: int, chunks: int
    ) -> MashaGPTError:
        """The error for a transport exception that is not retried."""
        if chunks and isinstance(exc, timeout_error):
            return APITimeoutError(
                f"MashaGPT's stream stalled after {chunks} chunks: nothing more came "
                f"in time ({type(exc).__name__}); the partial answer is not returned, "
                "and a started stream is never retried. Raise timeout= or try again.",
                attempts=attempt + 1,
            )
        if chunks:
            return IncompleteStreamError(
                f"MashaGPT's stream broke off after {chunks} chunks "
                f"({type(exc).__name__}: {exc}); the partial answer is not returned. "
                "Try again.",
                attempts=attempt + 1,
            )
        return _connection_error(exc, isinstance(exc, timeout_error), attempt + 1)

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
                    raise self._failure(exc, timeout_error, attempt, 0) from exc
                time.sleep(_retry_delay(attempt, None))
            else:
                status = response.status_code
                if status < 300:
                    return parse_completion(response.content)
                if not self._retry(attempt, status):
                    raise _status_error(
                        status, response.headers, response.content, attempt + 1, self._secret
                    )
                time.sleep(_retry_delay(attempt, response.headers))
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
                    raise self._failure(exc, timeout_error, attempt, 0) from exc
                await asyncio.sleep(_retry_delay(attempt, None))
            else:
                status = response.status_code
                if status < 300:
                    return parse_completion(response.content)
                if not self._retry(attempt, status):
                    raise _status_error(
                        status, response.headers, response.content, attempt + 1, self._secret
                    )
                await asyncio.sleep(_retry_delay(attempt, response.headers))
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
                    raise self._failure(exc, timeout_error, attempt, chunks) from exc
                time.sleep(_retry_delay(attempt, None))
            else:
                if not self._retry(attempt, r.status_code):
                    raise _status_error(
                        r.status_code, r.headers, content, attempt + 1, self._secret
                    )
                time.sleep(_retry_delay(attempt, r.headers))
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
                    raise self._failure(exc, timeout_error, attempt, chunks) from exc
                await asyncio.sleep(_retry_delay(attempt, None))
            else:
                if not self._retry(attempt, r.status_code):
                    raise _status_error(
                        r.status_code, r.headers, content, attempt + 1, self._secret
                    )
                await asyncio.sleep(_retry_delay(attempt, r.headers))
            attempt += 1
