"""`MashaGPTEmulator`: the server's lifecycle, request log and reply script.

The server is an `asyncio` server running its own event loop in a daemon
thread, so it serves sync and async clients alike, and holds thousands of
concurrent streaming connections cheaply. `stop()` closes the listening
socket, cancels every open connection, closes the loop and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Collection, Iterable
from typing import TypeVar

from langchain_mashagpt.testing._deviations import Deviations
from langchain_mashagpt.testing._script import Reply
from langchain_mashagpt.testing._server import serve_connection
from langchain_mashagpt.testing._state import RecordedRequest, State
from langchain_mashagpt.testing._usage import KNOWN_MODELS

__all__ = ["DEFAULT_API_KEY", "MashaGPTEmulator"]

#: The API key the emulator accepts unless given another one.
DEFAULT_API_KEY = "sk-mashagpt-emulator-test-key"

_BACKLOG = 4096
_SETTLE_ITERATIONS = 4
_Self = TypeVar("_Self", bound="MashaGPTEmulator")


class MashaGPTEmulator:
    """A local, strict MashaGPT API server for tests and offline demos.

    Example:
        ```python
        from langchain_mashagpt.testing import MashaGPTEmulator, Reply

        with MashaGPTEmulator() as emu:
            emu.enqueue(Reply.rate_limit(retry_after=0), Reply.text("Hi!"))
            ...  # point a client at emu.base_url with emu.api_key
            assert emu.requests[-1].body["model"] == "gpt-4o-mini"
        ```
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        known_models: Collection[str] | None = KNOWN_MODELS,
        chunk_delay: float = 0.0,
        deviations: Deviations | None = None,
    ) -> None:
        """Configure the emulator; `start()` (or `with`) runs it.

        Args:
            api_key: The only key accepted in `Authorization: Bearer <key>`.
            host: The interface to listen on.
            port: The port; 0 picks a free one (see `port` after starting).
            known_models: Model ids accepted (others get 404 `model_not_found`);
                None accepts any model id.
            chunk_delay: Seconds to wait between streamed chunks.
            deviations: Ways to differ from the API page (see `Deviations`);
                none by default.
        """
        self.api_key = api_key
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._state = State(
            api_key, None if known_models is None else frozenset(known_models), chunk_delay
        )
        self._state.deviations = deviations or Deviations()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self: _Self) -> _Self:
        """Start serving in a background thread; return once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("The MashaGPT emulator is already running.")
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(target=self._run, name="mashagpt-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving: close every connection and the loop, join the thread."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or loop is None or stopping is None:
            return
        loop.call_soon_threadsafe(stopping.set)
        thread.join()
        self._thread = self._loop = self._stopping = None
        self._port = None

    def __enter__(self: _Self) -> _Self:
        """Start the emulator."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the emulator."""
        self.stop()

    async def __aenter__(self: _Self) -> _Self:
        """Start the emulator (it runs in its own thread and loop)."""
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the emulator."""
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._startup_error = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._ready.set()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()
        writers: set[asyncio.StreamWriter] = set()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Synchronous, so every connection is known (and closable) from its first
            # moment, even if its task never gets to run before stop().
            writers.add(writer)
            task = loop.create_task(serve_connection(self._state, reader, writer))
            tasks.add(task)

            def forget(_: asyncio.Task[None]) -> None:
                tasks.discard(task)
                writers.discard(writer)

            task.add_done_callback(forget)

        server = await asyncio.start_server(
            on_connect, self.host, self._requested_port, backlog=_BACKLOG
        )
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await _shutdown(server, tasks, writers)

    # -- addresses ---------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on (raises if it is not running)."""
        if self._port is None:
            raise RuntimeError("The MashaGPT emulator is not running: call start() first.")
        return self._port

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. `http://127.0.0.1:54321/v1`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    # -- requests and script -----------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def last_request(self) -> RecordedRequest:
        """The latest request received (raises if there is none)."""
        with self._state.lock:
            if not self._state.requests:
                raise LookupError("The MashaGPT emulator has not received any request yet.")
            return self._state.requests[-1]

    def enqueue(self, *replies: Reply) -> None:
        """Queue scripted replies, consumed one per valid request, in order."""
        self.extend(replies)

    def extend(self, replies: Iterable[Reply]) -> None:
        """Queue scripted replies from an iterable (see `enqueue`)."""
        with self._state.lock:
            self._state.replies.extend(replies)

    @property
    def pending_replies(self) -> int:
        """How many scripted replies are still queued."""
        with self._state.lock:
            return len(self._state.replies)

    def reset(self) -> None:
        """Forget the received requests and the queued replies; restart the ids."""
        with self._state.lock:
            self._state.requests.clear()
            self._state.replies.clear()
            self._state.counter = 0


async def _shutdown(
    server: asyncio.Server, tasks: set[asyncio.Task[None]], writers: set[asyncio.StreamWriter]
) -> None:
    """Stop accepting, let accepted sockets reach `on_connect`, then close them all.

    Closing the server while an accepted socket is on its way to a transport
    would leak it (asyncio asserts in `Server._attach`), hence the two steps.
    """
    loop = asyncio.get_running_loop()
    for sock in server.sockets:
        with contextlib.suppress(NotImplementedError, ValueError):
            loop.remove_reader(sock.fileno())
    for _ in range(_SETTLE_ITERATIONS):
        await asyncio.sleep(0)
    server.close()
    for writer in list(writers):
        writer.close()
    for task in list(tasks):
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for _ in range(_SETTLE_ITERATIONS):
        await asyncio.sleep(0)
    await asyncio.wait_for(server.wait_closed(), timeout=5)
