"""The only module that speaks HTTP: POST, retries, SSE streams, status → error.

`httpx2` (the maintained continuation of httpx) is used when it imports, else
`httpx`; a user's own `http_client`/`http_async_client` of either library is used
as given. Without one, a pooled client is shared by every model with the same
timeout (sync: one per process; async: one per event loop, closed when
`asyncio.run` or the loop's runner shuts its async generators down).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import sys
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

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

__all__ = ["Transport", "httpx"]

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


def _library_errors(client: object) -> tuple[type[Exception], type[Exception]]:
    """`TransportError` and `TimeoutException` of the library `client` is from."""
    library = sys.modules[type(client).__module__.partition(".")[0]]
    return library.TransportError, library.TimeoutException


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
    status: int, headers: Mapping[str, str], content: bytes, attempts: int
) -> MashaGPTError:
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


def _is_json(headers: Mapping[str, str]) -> bool:
    return headers.get("content-type", "").startswith("application/json")


def _not_a_stream(content: bytes) -> MashaGPTError:
    """The error for a JSON body sent where an event stream was asked for."""
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
        if chunks and not isinstance(exc, timeout_error):
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
        transport_error, timeout_error = _library_errors(client)
        body, attempt = dumps(payload), 0
        while True:
            try:
                response = client.post(self.url, content=body, headers=self.headers)
            except transport_error as exc:
                if not self._retry(attempt, exc):
                    raise self._failure(exc, timeout_error, attempt, 0) from exc
                time.sleep(_retry_delay(attempt, None))
            else:
                status = response.status_code
                if status < 300:
                    return parse_completion(response.content)
                if not self._retry(attempt, status):
                    raise _status_error(status, response.headers, response.content, attempt + 1)
                time.sleep(_retry_delay(attempt, response.headers))
            attempt += 1

    async def apost(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Async twin of `post`."""
        client = self._async_client or await _shared_async_client(self.timeout)
        transport_error, timeout_error = _library_errors(client)
        body, attempt = dumps(payload), 0
        while True:
            try:
                response = await client.post(self.url, content=body, headers=self.headers)
            except transport_error as exc:
                if not self._retry(attempt, exc):
                    raise self._failure(exc, timeout_error, attempt, 0) from exc
                await asyncio.sleep(_retry_delay(attempt, None))
            else:
                status = response.status_code
                if status < 300:
                    return parse_completion(response.content)
                if not self._retry(attempt, status):
                    raise _status_error(status, response.headers, response.content, attempt + 1)
                await asyncio.sleep(_retry_delay(attempt, response.headers))
            attempt += 1

    def stream(self, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST a streamed request; yield checked chunk dicts until `[DONE]`.

        Retried only before the first chunk is yielded, never re-streamed.
        """
        client = self._client or _shared_client(self.timeout)
        transport_error, timeout_error = _library_errors(client)
        body, attempt, chunks = dumps(payload), 0, 0
        while True:
            parser = ChunkParser()
            try:
                with client.stream("POST", self.url, content=body, headers=self.headers) as r:
                    if r.status_code < 300:
                        if _is_json(r.headers):
                            raise _not_a_stream(r.read())
                        for raw in r.iter_bytes():
                            for chunk in parser.feed(raw):
                                chunks += 1
                                yield chunk
                            if parser.done:
                                return
                        yield from parser.close()
                        return
                    content = r.read()
            except transport_error as exc:
                if chunks or not self._retry(attempt, exc):
                    raise self._failure(exc, timeout_error, attempt, chunks) from exc
                time.sleep(_retry_delay(attempt, None))
            else:
                if not self._retry(attempt, r.status_code):
                    raise _status_error(r.status_code, r.headers, content, attempt + 1)
                time.sleep(_retry_delay(attempt, r.headers))
            attempt += 1

    async def astream(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Async twin of `stream`."""
        client = self._async_client or await _shared_async_client(self.timeout)
        transport_error, timeout_error = _library_errors(client)
        body, attempt, chunks = dumps(payload), 0, 0
        while True:
            parser = ChunkParser()
            try:
                async with client.stream("POST", self.url, content=body, headers=self.headers) as r:
                    if r.status_code < 300:
                        if _is_json(r.headers):
                            raise _not_a_stream(await r.aread())
                        async for raw in r.aiter_bytes():
                            for chunk in parser.feed(raw):
                                chunks += 1
                                yield chunk
                            if parser.done:
                                return
                        for chunk in parser.close():
                            yield chunk
                        return
                    content = await r.aread()
            except transport_error as exc:
                if chunks or not self._retry(attempt, exc):
                    raise self._failure(exc, timeout_error, attempt, chunks) from exc
                await asyncio.sleep(_retry_delay(attempt, None))
            else:
                if not self._retry(attempt, r.status_code):
                    raise _status_error(r.status_code, r.headers, content, attempt + 1)
                await asyncio.sleep(_retry_delay(attempt, r.headers))
            attempt += 1
