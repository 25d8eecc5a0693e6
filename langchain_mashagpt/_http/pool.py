"""The HTTP clients: which library, and the pooled clients shared by models.

`httpx2` (the maintained continuation of httpx) is used when it imports, else
`httpx`. Without a client of the user's own, a pooled client is shared by every
model with the same timeout (sync: one per process; async: one per event loop,
closed when `asyncio.run` or the loop's runner shuts its async generators down);
they keep no cookies, as models of different keys share them.
Their sockets end by the running call's deadline (`_http.sockets`).
`aclosing_stream` closes an async stream in order, even at loop shutdown.
Requests themselves are made in `_http.transport`.
"""

from __future__ import annotations

import asyncio
import atexit
import http.cookiejar
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_mashagpt._http.sockets import bound_sockets
from langchain_mashagpt.errors import MissingDependencyError

if TYPE_CHECKING:
    import httpx
else:
    try:
        import httpx2 as httpx
    except ModuleNotFoundError:  # pragma: no cover - httpx2 comes with langsmith
        import httpx

__all__ = ["aclosing_stream", "httpx", "shared_async_client", "shared_client"]

_Client = TypeVar("_Client")
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_SYNC_CLIENTS: dict[float | None, httpx.Client] = {}
_ASYNC_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[float | None, tuple[httpx.AsyncClient, Any]]
] = weakref.WeakKeyDictionary()


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Stores no cookie, so none is sent: a pooled client is shared by models of any key."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def _new(cls: Callable[..., _Client], timeout: float | None) -> _Client:
    """A pooled client; a SOCKS proxy in the environment without `socksio` says what to install.

    Its cookie jar keeps nothing: one tenant's `Set-Cookie` never goes out with
    another tenant's requests.
    """
    try:
        jar = http.cookiejar.CookieJar(policy=_NoCookies())
        return cls(timeout=timeout, limits=_LIMITS, cookies=jar)
    except ImportError as exc:
        if "socksio" not in str(exc):
            raise
    raise MissingDependencyError(  # outside the handler: nothing chained
        "A SOCKS proxy is set in the environment (ALL_PROXY, HTTPS_PROXY or HTTP_PROXY is "
        "socks5://… or socks4://…), and SOCKS needs the socksio package, which is not "
        "installed: pip install 'langchain-mashagpt[socks]'. Or unset the variable, or "
        "pass http_client=/http_async_client= of your own."
    )


def shared_client(timeout: float | None) -> httpx.Client:
    client = _SYNC_CLIENTS.get(timeout)
    if client is None:
        client = _new(httpx.Client, timeout)
        bound_sockets(client)
        _SYNC_CLIENTS[timeout] = client
        atexit.register(client.close)  # else its idle sockets are left to the GC at exit
    return client


async def _closes_with_loop(client: httpx.AsyncClient) -> AsyncIterator[None]:
    """Closes `client` when the event loop shuts its async generators down."""
    try:
        yield
    finally:
        await client.aclose()


async def shared_async_client(timeout: float | None) -> httpx.AsyncClient:
    per_loop = _ASYNC_CLIENTS.setdefault(asyncio.get_running_loop(), {})
    entry = per_loop.get(timeout)
    if entry is None or entry[0].is_closed:
        client = _new(httpx.AsyncClient, timeout)
        bound_sockets(client)
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

    def __init__(self, stream: AsyncGenerator[Any, None]) -> None:
        self.stream = stream
        self._ended: asyncio.Future[None] | None = None
        self.closing: asyncio.Future[None] | None = None
        """The watcher's close of the stream, once the runner has cancelled it."""

    async def __aenter__(self) -> AsyncGenerator[Any, None]:
        self._ended = asyncio.get_running_loop().create_future()
        watcher = asyncio.ensure_future(_close_when_cancelled(self, self._ended))
        _WATCHERS.add(watcher)
        watcher.add_done_callback(_WATCHERS.discard)
        return self.stream

    async def __aexit__(self, *exc_info: object) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)
        if self.closing is not None:  # the watcher is closing it (plain httpx's close
            await self.closing  # awaits, so a second `aclose` would find it running)
        else:
            await self.stream.aclose()


_WATCHERS: set[asyncio.Future[None]] = set()


async def _close_when_cancelled(holder: aclosing_stream, ended: asyncio.Future[None]) -> None:
    try:
        await ended
    except asyncio.CancelledError:
        if not getattr(holder.stream, "ag_running", False):  # else its own task is unwinding it
            holder.closing = asyncio.ensure_future(holder.stream.aclose())
            await holder.closing
        raise
