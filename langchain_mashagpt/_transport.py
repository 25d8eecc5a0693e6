"""The only module that speaks HTTP: the URL and headers, POST and SSE streams, bodies read.

What to do after each attempt (retry, wait, raise) is asked of `_retry.Attempts`;
a 2xx body is read after the attempts, so a started answer is never sent again.
Every body is read within a size cap after decompression (`_body.Body`), between
reads the call's deadline is checked, and every error leaves here with the key
and any piece of it masked and no chained exception (which would carry the
request and its `Authorization` header).

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
import sys
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import urlsplit

from pydantic import SecretStr

from langchain_mashagpt._body import ACCEPT_ENCODING, Body
from langchain_mashagpt._decode import DEFAULT_MAX_EVENT_BYTES, ChunkParser, parse_completion
from langchain_mashagpt._json import dumps
from langchain_mashagpt._retry import INITIAL_BACKOFF, Attempts, Retry
from langchain_mashagpt._secrets import Redactor, header_key, mask_logs
from langchain_mashagpt._version import __version__
from langchain_mashagpt.errors import (
    APIResponseValidationError,
    MashaGPTError,
    kept_body,
)

if TYPE_CHECKING:
    import httpx
else:
    try:
        import httpx2 as httpx
    except ModuleNotFoundError:  # pragma: no cover - httpx2 comes with langsmith
        import httpx

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Transport",
    "aclosing_stream",
    "httpx",
]

DEFAULT_DEADLINE = 600.0
"""Seconds one call may take in all (attempts, reads, waits) unless told otherwise."""
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The default cap on one answer's body (streamed or not) after decompression."""
_DEFAULT: Any = object()
"""`deadline` not given for a call: the transport's own applies."""
ERROR_BODY_BYTES = 64 * 1024
"""How much of a non-2xx body is read; the rest is not waited for."""
_DRAIN_READS = 2
"""Reads allowed after `[DONE]`, each only of bytes already there, for the body to end."""
_REFUSED_FIELDS: dict[str, set[str]] = {}
"""Per URL, the optional request fields a server refused (sent no more)."""

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


def _shown_url(url: str) -> str:
    """`url` as errors show it: without user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def _failure(exc: Exception) -> str:
    """What a transport exception says, for an error message."""
    text = str(exc)[:500]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _not_an_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether a 2xx answer to a stream request is a whole JSON body or HTML page."""
    return headers.get("content-type", "").startswith(("application/json", "text/html"))


def _not_a_stream(content: bytes, n: int) -> MashaGPTError:
    """The error for a JSON body (or an HTML page) sent where an event stream was asked for."""
    parse_completion(content, n)  # raises the server's error, or on a malformed body
    return APIResponseValidationError(
        "MashaGPT answered a streamed request with a plain JSON completion.",
        body=kept_body(content),
    )


def _encoding(response: Any) -> str:
    """The `Content-Encoding` still to undo (none once the client has read the body)."""
    return "" if response.is_stream_consumed else response.headers.get("content-encoding", "")


def _raws(response: Any) -> Iterator[bytes]:
    """The raw reads of a body; a body read already (a mock's) in one piece."""
    if response.is_stream_consumed:
        return iter([response.content])
    return cast("Iterator[bytes]", response.iter_raw())


async def _araws(response: Any) -> AsyncGenerator[bytes, None]:
    """Async twin of `_raws`."""
    if response.is_stream_consumed:
        yield response.content
        return
    async for raw in response.aiter_raw():
        yield raw


def _read_now(response: Any) -> bool:
    """Whether reading on would not wait: bytes in the socket, or the body's end parsed in.

    After `[DONE]` the body normally ends at once; reading it to its end returns
    the connection to the pool. A proxy that keeps the body open must not hold
    the finished answer: then the response is closed instead.
    """
    network = response.extensions.get("network_stream")
    if network is not None and network.get_extra_info("is_readable"):
        return True
    stream = response.stream
    for _ in range(6):  # httpx → httpcore → the HTTP/1.1 connection and its h11 parser
        h11_state = getattr(stream, "_h11_state", None)
        if h11_state is not None:
            buffered = h11_state.trailing_data[0]
            length = response.headers.get("content-length")
            if length is not None and length.isdigit():
                return bool(int(length) - response.num_bytes_downloaded <= len(buffered))
            return buffered.startswith(b"0\r\n") or b"\n0\r\n" in buffered
        stream = getattr(stream, "_stream", None) or getattr(stream, "_httpcore_stream", None)
        stream = getattr(stream, "_connection", stream)
    return False


class Transport:
    """POSTs chat completions; one per `ChatMashaGPT` configuration.

    Args:
        base_url: The API's base URL (`/chat/completions` is added).
        api_key: The key; surrounding whitespace is stripped, and a key that cannot
            be a header value is refused with an error that shows no part of it.
        default_headers: Extra headers sent with every request.
        timeout: Seconds for connecting and for each read (of the shared clients).
        max_retries: Retries after the first attempt.
        deadline: Seconds a call may take in all, unless a call says otherwise.
        max_response_bytes: The most bytes of one answer, after decompression.
        max_event_bytes: The longest line, and the most data of one streamed event.
        initial_backoff: Seconds before the first retry when the server does not say.
        client: The user's own sync client, used as given.
        async_client: The user's own async client, used as given.

    Raises:
        ValueError: No key, or one that cannot be sent.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | None,
        max_retries: int,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        initial_backoff: float = INITIAL_BACKOFF,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
    ) -> None:
        key = header_key(api_key)
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.shown_url = _shown_url(self.url)
        self.headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": f"langchain-mashagpt/{__version__}",
            **(default_headers or {}),
        }
        self.timeout = timeout
        self.max_retries = max_retries
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.max_event_bytes = max_event_bytes
        self.initial_backoff = initial_backoff
        self._client = client
        self._async_client = async_client
        self._prepared: dict[type, _Prepared] = {}
        self._redactor = Redactor(key)
        mask_logs(self._redactor)

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

    def _attempts(self, deadline: float | None) -> Attempts:
        return Attempts(
            max_retries=self.max_retries,
            deadline=self.deadline if deadline is _DEFAULT else deadline,
            url=self.shown_url,
            initial_backoff=self.initial_backoff,
        )

    def _request(self, client: Any, prepared: _Prepared, attempts: Attempts, body: bytes) -> Any:
        """The request of the next attempt, its timeouts cut to what is left of the deadline."""
        attempts.send(self.timeout)
        left = attempts.left()
        timeout: Any = None
        if left is not None:
            t = client.timeout
            timeout = type(t)(
                connect=min(t.connect, left) if t.connect is not None else left,
                read=min(t.read, left) if t.read is not None else left,
                write=min(t.write, left) if t.write is not None else left,
                pool=min(t.pool, left) if t.pool is not None else left,
            )
        return client.build_request(
            "POST",
            prepared.url,
            content=body,
            headers=prepared.headers,
            **({"timeout": timeout} if timeout is not None else {}),
        )

    def _body(self, payload: dict[str, Any]) -> tuple[bytes, frozenset[str]]:
        """The JSON to send, without the fields this URL refused; and the optional ones sent."""
        refused = _REFUSED_FIELDS.get(self.url, ())
        if refused:
            payload = {k: v for k, v in payload.items() if k not in refused}
        return dumps(payload), frozenset({"stream_options"} & payload.keys())

    def _step(self, step: Retry, payload: dict[str, Any]) -> tuple[bytes, frozenset[str]]:
        """Take note of a field to leave out; the body of the next attempt."""
        if step.drop is not None:
            _REFUSED_FIELDS.setdefault(self.url, set()).add(step.drop)
        return self._body(payload)

    def _scrubbed(self, exc: MashaGPTError) -> MashaGPTError:
        """`exc` with the key masked everywhere, cut off from every chained exception."""
        redact = self._redactor
        exc.__cause__ = exc.__context__ = None
        exc.__suppress_context__ = True
        exc.args = tuple(redact.value(a) for a in exc.args)
        for name, value in vars(exc).items():
            setattr(exc, name, redact.value(value))
        return exc

    # ------------------------------------------------------------ sync

    def _open(
        self, client: Any, prepared: _Prepared, payload: dict[str, Any], attempts: Attempts
    ) -> Any:
        """Send until a 2xx status line arrives (its body unread), or raise."""
        body, sent = self._body(payload)
        while True:
            request = self._request(client, prepared, attempts, body)
            try:
                r = client.send(request, stream=True)
                if r.status_code < 300:
                    return r
                try:
                    content = self._read(r, attempts, ERROR_BODY_BYTES, "error answer")
                finally:
                    r.close()
            except prepared.transport_error as exc:
                step = attempts.failed(
                    _failure(exc), timed_out=isinstance(exc, prepared.timeout_error)
                )
            else:
                step = attempts.refused(r.status_code, r.headers, content, sent)
            if isinstance(step, MashaGPTError):
                raise step
            body, sent = self._step(step, payload)
            time.sleep(step.wait)

    def _read(self, r: Any, attempts: Attempts, cap: int, what: str) -> bytes:
        """A body, decoded and capped (an error body is cut at `cap`, an answer refused)."""
        reader = Body(_encoding(r), cap, what, truncate=cap == ERROR_BODY_BYTES)
        parts: list[bytes] = []
        for raw in _raws(r):
            parts.extend(reader.feed(raw))
            if reader.full:
                break
            attempts.check()
        return b"".join(parts)

    def post(self, payload: dict[str, Any], deadline: float | None = _DEFAULT) -> dict[str, Any]:
        """POST a non-streamed request; return the checked completion JSON."""
        try:
            client = self._client or _shared_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = self._open(client, prepared, payload, attempts)
            try:  # a 2xx: read outside the attempts, never sent again
                content = self._read(r, attempts, self.max_response_bytes, "answer")
            except prepared.transport_error as exc:
                raise attempts.broke_off(
                    _failure(exc), timed_out=isinstance(exc, prepared.timeout_error), chunks=0
                ) from None
            finally:
                r.close()
            return parse_completion(content, payload.get("n") or 1)
        except MashaGPTError as exc:
            raise self._scrubbed(exc)  # noqa: B904 - the chain is cut on purpose

    def stream(
        self, payload: dict[str, Any], deadline: float | None = _DEFAULT
    ) -> Generator[dict[str, Any], None, None]:
        """POST a streamed request; yield checked chunk dicts until `[DONE]`.

        Retried only until a 2xx status line arrives, never re-streamed.
        """
        try:
            client = self._client or _shared_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = self._open(client, prepared, payload, attempts)
            n = payload.get("n") or 1
            try:
                if _not_an_event_stream(r.headers):
                    raise _not_a_stream(
                        self._read(r, attempts, self.max_response_bytes, "answer"), n
                    )
                reader = Body(_encoding(r), self.max_response_bytes, "stream")
                parser, chunks, raws = ChunkParser(n, self.max_event_bytes), 0, _raws(r)
                try:
                    for raw in raws:
                        for piece in reader.feed(raw):
                            for chunk in parser.feed(piece):
                                chunks += 1
                                yield chunk
                        if parser.done:
                            with contextlib.suppress(prepared.transport_error):
                                for _ in range(_DRAIN_READS):
                                    if not (_read_now(r) and next(raws, None)):
                                        break
                            return
                        attempts.check()
                except prepared.transport_error as exc:
                    raise attempts.broke_off(
                        _failure(exc),
                        timed_out=isinstance(exc, prepared.timeout_error),
                        chunks=chunks,
                    ) from None
                yield from parser.close()
            finally:
                r.close()
        except MashaGPTError as exc:
            raise self._scrubbed(exc)  # noqa: B904 - the chain is cut on purpose

    # ------------------------------------------------------------ async twins

    async def _aopen(
        self, client: Any, prepared: _Prepared, payload: dict[str, Any], attempts: Attempts
    ) -> Any:
        """Async twin of `_open`; the deadline also bounds waiting for the status line."""
        body, sent = self._body(payload)
        while True:
            request = self._request(client, prepared, attempts, body)
            try:
                try:
                    r = await asyncio.wait_for(client.send(request, stream=True), attempts.left())
                except asyncio.TimeoutError:
                    raise attempts.expired() from None
                if r.status_code < 300:
                    return r
                try:
                    content = await self._aread(r, attempts, ERROR_BODY_BYTES, "error answer")
                finally:
                    await r.aclose()
            except prepared.transport_error as exc:
                step = attempts.failed(
                    _failure(exc), timed_out=isinstance(exc, prepared.timeout_error)
                )
            else:
                step = attempts.refused(r.status_code, r.headers, content, sent)
            if isinstance(step, MashaGPTError):
                raise step
            body, sent = self._step(step, payload)
            await asyncio.sleep(step.wait)

    async def _aread(self, r: Any, attempts: Attempts, cap: int, what: str) -> bytes:
        """Async twin of `_read`."""
        reader = Body(_encoding(r), cap, what, truncate=cap == ERROR_BODY_BYTES)
        parts: list[bytes] = []
        async for raw in _araws(r):
            parts.extend(reader.feed(raw))
            if reader.full:
                break
            attempts.check()
        return b"".join(parts)

    async def apost(
        self, payload: dict[str, Any], deadline: float | None = _DEFAULT
    ) -> dict[str, Any]:
        """Async twin of `post`."""
        try:
            client = self._async_client or await _shared_async_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = await self._aopen(client, prepared, payload, attempts)
            try:  # a 2xx: read outside the attempts, never sent again
                content = await self._aread(r, attempts, self.max_response_bytes, "answer")
            except prepared.transport_error as exc:
                raise attempts.broke_off(
                    _failure(exc), timed_out=isinstance(exc, prepared.timeout_error), chunks=0
                ) from None
            finally:
                await r.aclose()
            return parse_completion(content, payload.get("n") or 1)
        except MashaGPTError as exc:
            raise self._scrubbed(exc)  # noqa: B904 - the chain is cut on purpose

    async def astream(
        self, payload: dict[str, Any], deadline: float | None = _DEFAULT
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Async twin of `stream`."""
        try:
            client = self._async_client or await _shared_async_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = await self._aopen(client, prepared, payload, attempts)
            n = payload.get("n") or 1
            try:
                if _not_an_event_stream(r.headers):
                    content = await self._aread(r, attempts, self.max_response_bytes, "answer")
                    raise _not_a_stream(content, n)
                reader = Body(_encoding(r), self.max_response_bytes, "stream")
                parser, chunks = ChunkParser(n, self.max_event_bytes), 0
                # Closed in order by us, not by the loop's asyncgen finalizer.
                raws = _araws(r)
                try:
                    async with contextlib.aclosing(raws):
                        async for raw in raws:
                            for piece in reader.feed(raw):
                                for chunk in parser.feed(piece):
                                    chunks += 1
                                    yield chunk
                            if parser.done:
                                with contextlib.suppress(
                                    prepared.transport_error, StopAsyncIteration
                                ):
                                    for _ in range(_DRAIN_READS):
                                        if not (_read_now(r) and await raws.__anext__()):
                                            break
                                return
                            attempts.check()
                except prepared.transport_error as exc:
                    raise attempts.broke_off(
                        _failure(exc),
                        timed_out=isinstance(exc, prepared.timeout_error),
                        chunks=chunks,
                    ) from None
                for chunk in parser.close():
                    yield chunk
            finally:
                await r.aclose()
        except MashaGPTError as exc:
            raise self._scrubbed(exc)  # noqa: B904 - the chain is cut on purpose
