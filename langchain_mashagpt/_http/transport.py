"""The only module that speaks HTTP: the URL and headers, POST and SSE streams, bodies read.

What to do after each attempt (retry, wait, raise) is asked of `_http.attempts.Attempts`;
a 2xx body is read after the attempts, so a started answer is never sent again.
Every body is read within a size cap after decompression (`_http.body.Body`); a
stream's body is decoded, parsed and judged by the pure `_http.stream_body.StreamBody`,
so `stream` and `astream` only read and hand it the bytes. The call's deadline
is checked between reads and, on the pooled clients, ends every wait at the
socket (`_http.sockets`); after `[DONE]` nothing more is waited for
(`_http.drain`). Every error leaves here with the key and any piece of it masked and
no chained exception (which would carry the request and its `Authorization`
header). The clients and responses are typed by `_http.protocols`.

A user's own `http_client`/`http_async_client` (httpx or httpx2) is used as
given; else the pooled clients of `_http.pool`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any, TypeVar, cast

from pydantic import SecretStr

from langchain_mashagpt._http.attempts import INITIAL_BACKOFF, Attempts, Retry
from langchain_mashagpt._http.body import ACCEPT_ENCODING, Body
from langchain_mashagpt._http.credential import Credential
from langchain_mashagpt._http.deadline import check_deadline, cut
from langchain_mashagpt._http.drain import afinish, finish
from langchain_mashagpt._http.own_client import held, send_within
from langchain_mashagpt._http.pool import (  # noqa: F401 - the pools are looked at by tests
    _ASYNC_CLIENTS,
    _SYNC_CLIENTS,
    aclosing_stream,
    httpx,
    shared_async_client,
    shared_client,
)
from langchain_mashagpt._http.prepared import (
    Prepared,
    broke_off,
    failed,
    not_an_event_stream,
    prepare,
)
from langchain_mashagpt._http.protocols import AsyncClient, Response, SyncClient
from langchain_mashagpt._http.reading import araws, encoding, raws
from langchain_mashagpt._http.redact import Redactor, mask_logs, proxy_secrets, query_secrets
from langchain_mashagpt._http.response import Answered, AnswerMeta, answer_meta
from langchain_mashagpt._http.sockets import within
from langchain_mashagpt._http.sse import DEFAULT_MAX_EVENT_BYTES, parse_completion, plain_json_error
from langchain_mashagpt._http.stream_body import StreamBody
from langchain_mashagpt._http.urls import endpoint, shown_url
from langchain_mashagpt._json import BODY, dumps
from langchain_mashagpt._version import __version__
from langchain_mashagpt.errors import DeadlineExceededError, MashaGPTError

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Transport",
    "aclosing_stream",
    "httpx",
]

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The default cap on one answer's body (streamed or not) after decompression."""
ERROR_BODY_BYTES = 64 * 1024
"""How much of a non-2xx body is read; the rest is not waited for."""


_U = TypeVar("_U")
"""A client's URL type (`_http.protocols`)."""
_R = TypeVar("_R")
"""A client's request type (`_http.protocols`)."""


class Transport:
    """POSTs chat completions; one per `ChatMashaGPT` configuration.

    Args:
        base_url: The API's base URL (`/chat/completions` is added).
        default_query: Query parameters added to the URL.
        api_key: The key, kept as a `Credential`: surrounding whitespace is stripped,
            and a key that cannot be a header value is refused with an error that
            shows no part of it.
        default_headers: Extra headers sent with every request.
        timeout: Seconds for connecting and for each read (of the shared clients).
        max_retries: Retries after the first attempt.
        max_response_bytes: The most bytes of one answer, after decompression.
        max_event_bytes: The longest line, and the most data of one streamed event.
        initial_backoff: Seconds before the first retry when the server does not say.
        client: The user's own sync client, used as given.
        async_client: The user's own async client, used as given.
        include_response_headers: Whether answers carry all their headers (see `_http.response`).

    Raises:
        ValueError: No key, or one that cannot be sent.
    """

    def __init__(
        self,
        *,
        base_url: str,
        default_query: Mapping[str, str] | None = None,
        api_key: SecretStr | None,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | None,
        max_retries: int,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        initial_backoff: float = INITIAL_BACKOFF,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        include_response_headers: bool = False,
    ) -> None:
        self._credential = Credential(api_key)  # the key is text only in its `authorize`
        self.url = endpoint(base_url, default_query)
        self.shown_url = shown_url(self.url)
        self.headers = {
            "Content-Type": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": f"langchain-mashagpt/{__version__}",
            **(default_headers or {}),
        }
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_response_bytes = max_response_bytes
        self.max_event_bytes = max_event_bytes
        self.initial_backoff = initial_backoff
        self._client = client
        self._async_client = async_client
        self.include_response_headers = include_response_headers
        self._prepared: dict[type, Prepared[object]] = {}
        self._redactor = Redactor(
            self._credential.secret(), *query_secrets(default_query), *proxy_secrets()
        )
        mask_logs(self._redactor)

    def _prepare(self, client: SyncClient[_U, _R] | AsyncClient[_U, _R]) -> Prepared[_U]:
        """URL, headers and error classes for `client`, built once per client class."""
        prepared = self._prepared.get(type(client))
        if prepared is None:
            prepared = self._prepared[type(client)] = prepare(
                client, self.url, self._credential, self.headers
            )
        return cast("Prepared[_U]", prepared)  # built by the library of `client`'s class

    def _attempts(self, deadline: float | None) -> Attempts:
        return Attempts(
            max_retries=self.max_retries,
            deadline=check_deadline(deadline),
            url=self.shown_url,
            initial_backoff=self.initial_backoff,
            remember=self.url,
        )

    def _request(
        self,
        client: SyncClient[_U, _R] | AsyncClient[_U, _R],
        prepared: Prepared[_U],
        attempts: Attempts,
        body: bytes,
    ) -> _R:
        """The request of the next attempt, each of the client's timeouts cut to the deadline.

        Raises:
            DeadlineExceededError: Nothing is left of the deadline.
        """
        left = attempts.send()  # what is left of the deadline
        url, headers = prepared.url, prepared.headers
        if left is None:
            return client.build_request("POST", url, content=body, headers=headers)
        t = client.timeout
        timeout = (cut(t.connect, left), cut(t.read, left), cut(t.write, left), cut(t.pool, left))
        return client.build_request("POST", url, content=body, headers=headers, timeout=timeout)

    def _body(self, payload: dict[str, Any], attempts: Attempts) -> tuple[bytes, frozenset[str]]:
        """The JSON of the next attempt, without the fields refused; and the optional ones sent."""
        payload, sent = attempts.to_send(payload)
        return dumps(payload, BODY), sent

    def _again(
        self, step: Retry | MashaGPTError, payload: dict[str, Any], attempts: Attempts
    ) -> tuple[bytes, frozenset[str], float]:
        """After a refused or failed attempt: raise its error, or the next body and the wait first.

        Raises:
            MashaGPTError: `step`, when it is the error that ends the call.
        """
        if isinstance(step, MashaGPTError):
            raise step
        body, sent = self._body(payload, attempts)
        return body, sent, step.wait

    def _stream_body(self, r: Response, n: int) -> StreamBody:
        """The pure reader of a 2xx stream's body (`_http.stream_body`)."""
        return StreamBody(encoding(r), n, self.max_response_bytes, self.max_event_bytes)

    def _meta(self, r: Response) -> AnswerMeta:
        """What the headers of the answer `r` say: its request id, all of them if asked."""
        return answer_meta(r.headers, self.include_response_headers, self._redactor)

    # ------------------------------------------------------------ sync

    def _open(
        self,
        client: SyncClient[_U, _R],
        prepared: Prepared[_U],
        payload: dict[str, Any],
        attempts: Attempts,
    ) -> Response:
        """Send until a 2xx status line arrives (its body unread), or raise."""
        body, sent = self._body(payload, attempts)
        while True:
            request = self._request(client, prepared, attempts, body)
            try:
                r = self._send(client, request, attempts)
                if r.status_code < 300:
                    return r
                step = self._refusal(r, attempts, sent)
            except prepared.transport_error as exc:
                step = failed(attempts, prepared, exc)
            body, sent, wait = self._again(step, payload, attempts)
            time.sleep(wait)

    def _refusal(
        self, r: Response, attempts: Attempts, sent: frozenset[str]
    ) -> Retry | MashaGPTError:
        """What to do after a non-2xx answer: its raw body (which may echo the key) ends here."""
        try:
            content = self._read(r, attempts, ERROR_BODY_BYTES, "error answer", truncate=True)
        finally:
            r.close()
        step = attempts.refused(r.status_code, r.headers, content, sent)
        return self._redactor.scrubbed(step) if isinstance(step, MashaGPTError) else step

    def _send(self, client: SyncClient[_U, _R], request: _R, attempts: Attempts) -> Response:
        """Send, until the status line arrives or the deadline passes (see `_http.own_client`)."""
        if self._client is None:  # the pooled client's sockets end by the deadline
            with within(attempts.ends):
                return client.send(request, stream=True)
        try:
            return send_within(client, request, attempts.left())
        except DeadlineExceededError:
            raise held(attempts.expired()) from None

    def _read(
        self, r: Response, attempts: Attempts, cap: int, what: str, *, truncate: bool = False
    ) -> bytes:
        """A body, decoded and capped: cut at `cap` if `truncate` (error bodies), else refused."""
        reader = Body(encoding(r), cap, what, truncate=truncate)
        parts: list[bytes] = []
        for raw in raws(r, attempts.ends):
            parts.extend(reader.feed(raw))
            if reader.full:
                break
            attempts.check()
        return b"".join(parts)

    def post(self, payload: dict[str, Any], deadline: float | None) -> Answered:
        """POST a non-streamed request; return the checked JSON and what its headers say."""
        try:
            client = self._client or shared_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = self._open(client, prepared, payload, attempts)
            try:  # a 2xx: read outside the attempts, never sent again
                content = self._read(r, attempts, self.max_response_bytes, "answer")
            except prepared.transport_error as exc:
                raise broke_off(attempts, prepared, exc, chunks=0) from None
            finally:
                r.close()
            return Answered(parse_completion(content, payload.get("n") or 1), self._meta(r))
        except MashaGPTError as exc:
            content = b""  # raw bytes that may echo the key end here
            raise self._redactor.scrubbed(exc)  # noqa: B904 - the chain is cut on purpose

    def stream(
        self, payload: dict[str, Any], deadline: float | None
    ) -> Generator[dict[str, Any] | AnswerMeta, None, None]:
        """POST a streamed request; yield the headers' `AnswerMeta`, then checked chunk dicts.

        Retried only until a 2xx status line arrives, never re-streamed.
        """
        try:
            client = self._client or shared_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = self._open(client, prepared, payload, attempts)
            n, handed = payload.get("n") or 1, False
            try:
                if not_an_event_stream(r.headers):
                    raise plain_json_error(
                        self._read(r, attempts, self.max_response_bytes, "answer"), n
                    )
                yield self._meta(r)
                body, reads = self._stream_body(r, n), raws(r, attempts.ends)
                try:
                    for raw in reads:
                        yield from body.feed(raw)
                        if body.done:  # whole: the rest of the body is not waited for
                            pooled = self._client is None
                            handed = finish(r, reads, pooled, prepared.transport_error)
                            return
                        attempts.check()
                except prepared.transport_error as exc:
                    raise broke_off(attempts, prepared, exc, chunks=body.chunks) from None
                yield from body.close()
            finally:
                if not handed:
                    r.close()
        except MashaGPTError as exc:
            raw = b""  # raw bytes that may echo the key end here
            raise self._redactor.scrubbed(exc)  # noqa: B904 - the chain is cut on purpose

    # ------------------------------------------------------------ async twins

    async def _aopen(
        self,
        client: AsyncClient[_U, _R],
        prepared: Prepared[_U],
        payload: dict[str, Any],
        attempts: Attempts,
    ) -> Response:
        """Async twin of `_open`."""
        body, sent = self._body(payload, attempts)
        while True:
            request = self._request(client, prepared, attempts, body)
            try:
                with within(attempts.ends):
                    r = await self._asend(client, request, attempts)
                if r.status_code < 300:
                    return r
                step = await self._arefusal(r, attempts, sent)
            except prepared.transport_error as exc:
                step = failed(attempts, prepared, exc)
            body, sent, wait = self._again(step, payload, attempts)
            await asyncio.sleep(wait)

    async def _arefusal(
        self, r: Response, attempts: Attempts, sent: frozenset[str]
    ) -> Retry | MashaGPTError:
        """Async twin of `_refusal`."""
        try:
            content = await self._aread(
                r, attempts, ERROR_BODY_BYTES, "error answer", truncate=True
            )
        finally:
            await r.aclose()
        step = attempts.refused(r.status_code, r.headers, content, sent)
        return self._redactor.scrubbed(step) if isinstance(step, MashaGPTError) else step

    async def _asend(
        self, client: AsyncClient[_U, _R], request: _R, attempts: Attempts
    ) -> Response:
        """Send, until the status line arrives or the deadline passes.

        The pooled clients' sockets end by the deadline themselves, and cleanly;
        a user's own client is bounded by `wait_for`, whose cancelling can leave
        a TLS handshake's socket open in httpcore, so it is not used on ours.
        """
        if self._async_client is None:
            return await client.send(request, stream=True)
        try:
            return await asyncio.wait_for(client.send(request, stream=True), attempts.left())
        except TimeoutError:
            raise attempts.expired() from None

    async def _aread(
        self, r: Response, attempts: Attempts, cap: int, what: str, *, truncate: bool = False
    ) -> bytes:
        """Async twin of `_read`."""
        reader = Body(encoding(r), cap, what, truncate=truncate)
        parts: list[bytes] = []
        async for raw in araws(r, attempts.ends):
            parts.extend(reader.feed(raw))
            if reader.full:
                break
            attempts.check()
        return b"".join(parts)

    async def apost(self, payload: dict[str, Any], deadline: float | None) -> Answered:
        """Async twin of `post`."""
        try:
            client = self._async_client or await shared_async_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = await self._aopen(client, prepared, payload, attempts)
            try:  # a 2xx: read outside the attempts, never sent again
                content = await self._aread(r, attempts, self.max_response_bytes, "answer")
            except prepared.transport_error as exc:
                raise broke_off(attempts, prepared, exc, chunks=0) from None
            finally:
                await r.aclose()
            return Answered(parse_completion(content, payload.get("n") or 1), self._meta(r))
        except MashaGPTError as exc:
            content = b""  # raw bytes that may echo the key end here
            raise self._redactor.scrubbed(exc)  # noqa: B904 - the chain is cut on purpose

    async def astream(
        self, payload: dict[str, Any], deadline: float | None
    ) -> AsyncGenerator[dict[str, Any] | AnswerMeta, None]:
        """Async twin of `stream`."""
        try:
            client = self._async_client or await shared_async_client(self.timeout)
            prepared = self._prepare(client)
            attempts = self._attempts(deadline)
            r = await self._aopen(client, prepared, payload, attempts)
            n, handed = payload.get("n") or 1, False
            try:
                if not_an_event_stream(r.headers):
                    content = await self._aread(r, attempts, self.max_response_bytes, "answer")
                    raise plain_json_error(content, n)
                yield self._meta(r)
                body, reads = self._stream_body(r, n), araws(r, attempts.ends)
                try:
                    async for raw in reads:
                        for chunk in body.feed(raw):
                            yield chunk
                        if body.done:
                            pooled = self._async_client is None
                            handed = await afinish(r, reads, pooled, prepared.transport_error)
                            return
                        attempts.check()
                except prepared.transport_error as exc:
                    raise broke_off(attempts, prepared, exc, chunks=body.chunks) from None
                finally:  # closed in order by us, not by the loop's asyncgen finalizer
                    if not handed:
                        await reads.aclose()
                for chunk in body.close():
                    yield chunk
            finally:
                if not handed:
                    await r.aclose()
        except MashaGPTError as exc:
            raw = content = b""  # raw bytes that may echo the key end here
            raise self._redactor.scrubbed(exc)  # noqa: B904 - the chain is cut on purpose
