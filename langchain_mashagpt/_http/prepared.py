"""What every request to one client class reuses, and what its transport errors say. No I/O.

The transport builds a `Prepared` once per client class (httpx's or httpx2's, or a
user's subclass): the endpoint as that library's `URL`, the headers as its
`Headers` with the key written in by `Credential.authorize` (their `repr` masks
it), and the library's error classes, so each attempt reuses them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Generic, NamedTuple, TypeVar

from langchain_mashagpt._http.attempts import Attempts, Retry
from langchain_mashagpt._http.clients import client_library
from langchain_mashagpt._http.credential import Credential
from langchain_mashagpt._http.protocols import AsyncClient, SyncClient
from langchain_mashagpt.errors import MashaGPTError

__all__ = ["Prepared", "broke_off", "failed", "not_an_event_stream", "prepare"]

_U = TypeVar("_U")
"""A client's URL type (`_http.protocols`)."""
_R = TypeVar("_R")
"""A client's request type (`_http.protocols`)."""


class Prepared(NamedTuple, Generic[_U]):
    """What every request reuses, built in the client's library.

    httpx parses a `str` URL and a `dict` of headers again on each request; its
    own `URL` and `Headers` objects it takes as they are.
    """

    url: _U
    headers: MutableMapping[str, str]
    transport_error: type[Exception]
    timeout_error: type[Exception]


def prepare(
    client: SyncClient[_U, _R] | AsyncClient[_U, _R],
    url: str,
    credential: Credential,
    headers: Mapping[str, str],
) -> Prepared[object]:
    """URL, headers (the key's included) and error classes in the library of `client`."""
    library = client_library(client)
    prepared_headers: MutableMapping[str, str] = library.Headers()  # its repr masks the key
    credential.authorize(prepared_headers)
    prepared_headers.update(headers)
    return Prepared(
        library.URL(url), prepared_headers, library.TransportError, library.TimeoutException
    )


def _failure(exc: Exception) -> str:
    """What a transport exception says, for an error message."""
    text = str(exc)[:500]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failed(attempts: Attempts, prepared: Prepared[_U], exc: Exception) -> Retry | MashaGPTError:
    """What to do after an attempt that got no status line, `exc` its transport error."""
    return attempts.failed(_failure(exc), timed_out=isinstance(exc, prepared.timeout_error))


def broke_off(
    attempts: Attempts, prepared: Prepared[_U], exc: Exception, *, chunks: int
) -> MashaGPTError:
    """The error for a 2xx answer whose body broke off with `exc` (it is never sent again)."""
    timed_out = isinstance(exc, prepared.timeout_error)
    return attempts.broke_off(_failure(exc), timed_out=timed_out, chunks=chunks)


def not_an_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether a 2xx answer to a stream request is a whole JSON body or HTML page."""
    return headers.get("content-type", "").startswith(("application/json", "text/html"))
