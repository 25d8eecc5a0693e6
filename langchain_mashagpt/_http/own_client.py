"""A user's own sync client, held to the call's deadline while it waits for the status line.

The pooled clients end every read by the deadline at the socket (`_http.sockets`).
A client of the user's own is used through its public API only, so nothing can
cut its reads: a server that sends `102 Processing` every second, or drips its
headers a byte at a time, keeps each read within the client's timeout, and
`client.send` would return (or never return) long after the deadline. So the
send runs in a thread of its own, and the caller waits for it no longer than
what is left of the deadline; then it raises `DeadlineExceededError` and leaves
the request to end in the background, where its answer is closed as soon as it
comes. That request holds one of the client's connections until the server (or
the client's own timeout) ends it. A few idle sender threads are kept for the
next calls. The async twin is `asyncio.wait_for`.
"""

from __future__ import annotations

import contextvars
import functools
import os
import queue
import threading
from collections.abc import Callable
from typing import TypeVar, cast

from langchain_mashagpt._http.protocols import Response, SyncClient
from langchain_mashagpt.errors import DeadlineExceededError

__all__ = ["OWN_CLIENT_NOTE", "WORKER", "held", "send_within"]

WORKER = "mashagpt-send"
"""The name of the threads that send for a user's own sync client."""

OWN_CLIENT_NOTE = (
    " Your own http_client was still waiting for the status line (a server that sends "
    "`102 Processing`, or its headers a little at a time, keeps every read within the "
    "client's timeout): that request is left to end in the background, holding one of "
    "the client's connections until it does, and its answer is closed."
)
"""What a deadline error adds when the user's own client was still waiting."""


_U = TypeVar("_U")
_R = TypeVar("_R")


class _Send:
    """One `client.send` in a thread: its outcome, or, once abandoned, its answer closed."""

    __slots__ = ("abandoned", "done", "error", "lock", "response")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.abandoned = False
        self.response: Response | None = None
        self.error: BaseException | None = None

    def run(self, client: SyncClient[_U, _R], request: _R) -> None:
        try:
            response = client.send(request, stream=True)
        except BaseException as exc:  # handed to the caller, who raises it
            self.error = exc
            response = None
        with self.lock:
            self.response = response
            self.done.set()
            late = self.abandoned
        if late and response is not None:
            response.close()  # nobody waits for it any more


class _Workers:
    """Threads that run sends, kept when idle (up to `keep`) so that a call need not start one.

    A worker busy with an abandoned send is not waited for: a new one is started.
    """

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self._idle: list[queue.SimpleQueue[Callable[[], None]]] = []
        self._lock = threading.Lock()

    def run(self, job: Callable[[], None]) -> None:
        with self._lock:
            jobs = self._idle.pop() if self._idle else None
        if jobs is None:
            jobs = queue.SimpleQueue()
            threading.Thread(target=self._work, args=(jobs,), name=WORKER, daemon=True).start()
        jobs.put(job)

    def _work(self, jobs: queue.SimpleQueue[Callable[[], None]]) -> None:
        while True:
            job = jobs.get()
            job()
            del job  # nothing of the call is held while idle
            with self._lock:
                if len(self._idle) >= self.keep:
                    return
                self._idle.append(jobs)

    def forget(self) -> None:
        """In a forked child: the idle threads were the parent's, and are gone."""
        self._idle = []
        self._lock = threading.Lock()


_WORKERS = _Workers()
os.register_at_fork(after_in_child=_WORKERS.forget)


def send_within(client: SyncClient[_U, _R], request: _R, left: float | None) -> Response:
    """`client.send(request, stream=True)`, waited for at most `left` seconds (`None`: always).

    Raises:
        DeadlineExceededError: No status line within `left` (its message is
            completed by the caller, who knows the deadline).
        Exception: Whatever `client.send` raised.
    """
    if left is None:
        return client.send(request, stream=True)
    send = _Send()
    context = contextvars.copy_context()
    _WORKERS.run(functools.partial(context.run, send.run, client, request))
    if not send.done.wait(max(left, 0.0)):
        with send.lock:
            send.abandoned = not send.done.is_set()
        if send.abandoned:
            raise DeadlineExceededError("")
    if send.error is not None:
        error, send.error = send.error, None  # no reference cycle through the frame
        raise error
    return cast("Response", send.response)  # set, as no error was


def held(exc: DeadlineExceededError) -> DeadlineExceededError:
    """`exc` (the call's deadline error) saying the user's own client held the call."""
    return DeadlineExceededError(exc.message + OWN_CLIENT_NOTE, attempts=exc.attempts)
