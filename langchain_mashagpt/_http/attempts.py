"""The attempt policy of one call: after each outcome, what to do next. Pure; no I/O.

The transport sends, sleeps and raises; `Attempts` decides. After a refused or
failed attempt it answers either a `Retry` (wait so long, then send again) or
the error to raise. A 2xx status line ends the attempts: its body is read after
them, so an answer that had started arriving is never sent again. One policy
serves `post`, `apost`, `stream` and `astream`, and holds every rule:

- retried: 408, 409, 429, every 5xx, connection errors and timeouts, at most
  `max_retries` times;
- the wait: the server's `retry-after-ms` or `Retry-After` when it gives one,
  else exponential backoff with jitter; a server wait longer than
  `MAX_RETRY_AFTER`, or than what is left of the deadline, raises at once with
  the wait on the error (`retry_after`);
- a total `deadline` over every attempt, read and wait;
- a 400 that names `stream_options` is sent once more without it, and the
  field is left out of every later request to that URL in this process
  (`to_send`; the refusals are remembered here, and nowhere else).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

from langchain_mashagpt._http.deadline import Deadline
from langchain_mashagpt._http.failures import connection_error, deadline_error, status_error
from langchain_mashagpt.errors import APIConnectionError, DeadlineExceededError, MashaGPTError

__all__ = [
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "ON_RETRY_AFTER",
    "RETRY_STATUSES",
    "Attempts",
    "Retry",
    "retry_delay",
    "server_wait",
]

INITIAL_BACKOFF = 0.5
"""Seconds before the first retry when the server does not say (then doubled)."""
MAX_BACKOFF = 8.0
"""The longest computed wait between two attempts, in seconds."""
MAX_RETRY_AFTER = 60.0
"""The longest `Retry-After` slept; a longer one raises at once with `retry_after`."""
RETRY_STATUSES = frozenset({408, 409, 429})
"""Statuses retried besides every 5xx."""
ON_RETRY_AFTER: ContextVar[Callable[[float], None] | None] = ContextVar(
    "mashagpt_on_retry_after", default=None
)
"""Told the wait of every 429 that names one (`RedisRateLimiter` sets it in `acquire`)."""
STREAM_OPTIONS = "stream_options"
"""The one request field left out, once, when the server refuses it."""
_REFUSED: dict[str, set[str]] = {}
"""Per URL, the optional request fields its server refused: sent no more in this process."""


def server_wait(headers: Mapping[str, str] | None) -> float | None:
    """The wait the server asks for (`retry-after-ms`, else `Retry-After`), or `None`.

    Never raises, whatever the headers hold: a value that is not a non-negative
    finite number of seconds or an HTTP date gives `None`; a date in the past, 0.
    """
    if headers is None:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            wait = float(ms) / 1000
        elif (value := headers.get("retry-after")) is not None:
            try:
                wait = float(value)
            except ValueError:
                date = email.utils.parsedate_to_datetime(value)
                wait = max(date.timestamp() - time.time(), 0.0)
        else:
            return None
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return wait if math.isfinite(wait) and wait >= 0 else None


def backoff(attempt: int, initial: float = INITIAL_BACKOFF) -> float:
    """Exponential backoff with jitter before retry number `attempt + 1`."""
    return min(initial * 2.0 ** min(attempt, 32), MAX_BACKOFF) * random.uniform(0.75, 1.0)


def retry_delay(
    attempt: int, headers: Mapping[str, str] | None, initial: float = INITIAL_BACKOFF
) -> float:
    """Seconds to wait before retry number `attempt + 1`: the server's, else backoff.

    A server wait beyond `MAX_RETRY_AFTER` is returned as it is; `Attempts`
    raises rather than sleep it.
    """
    wait = server_wait(headers)
    return wait if wait is not None else backoff(attempt, initial)


class Retry(NamedTuple):
    """Wait `wait` seconds, then send again (without the field `drop`, if set)."""

    wait: float
    drop: str | None = None


class Attempts:
    """The attempts of one call. Ask after each outcome; do what it answers.

    Args:
        max_retries: Retries allowed after the first attempt.
        deadline: Seconds the whole call may take, or `None`.
        url: The URL, for error messages.
        initial_backoff: Seconds before the first computed retry (then doubled).
        clock: A monotonic clock (injected by tests).
        remember: The URL whose refused fields are remembered for the process
            (the transport's, with its query); `None`: for this call only.
    """

    __slots__ = (
        "_dropped",
        "_initial",
        "_remember",
        "clock",
        "deadline",
        "made",
        "max_retries",
        "url",
    )

    def __init__(
        self,
        *,
        max_retries: int,
        deadline: float | None,
        url: str,
        initial_backoff: float = INITIAL_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
        remember: str | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.deadline = Deadline(deadline, clock)
        self.url = url
        self.clock = clock
        self.made = 0
        self._initial = initial_backoff
        self._dropped = False
        self._remember = remember

    def send(self, timeout: float | None = None) -> float | None:
        """Count an attempt about to be sent; return `timeout` cut to what is left of the deadline.

        Without a `timeout`, that is what is left (`None`: no deadline either);
        the transport cuts each of the client's timeouts to it.

        Raises:
            DeadlineExceededError: Nothing is left of the deadline.
        """
        self.check()
        self.made += 1
        return self.deadline.cut(timeout)

    def to_send(self, payload: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
        """`payload` without the fields refused (in this call, or before at this URL).

        Returns:
            The payload to send, and the optional fields it still has (for `refused`).
        """
        refused = _REFUSED.get(self._remember, set()) if self._remember is not None else set()
        if self._dropped:
            refused = {*refused, STREAM_OPTIONS}
        if refused:
            payload = {k: v for k, v in payload.items() if k not in refused}
        return payload, frozenset({STREAM_OPTIONS} & payload.keys())

    @property
    def ends(self) -> float | None:
        """When the call must end, in the clock's time (`time.monotonic()`), or `None`."""
        return self.deadline.ends

    def left(self) -> float | None:
        """Seconds left of the deadline, or `None` without one."""
        return self.deadline.left()

    def check(self) -> None:
        """Raise if the deadline has passed (called between reads).

        Raises:
            DeadlineExceededError: The deadline has passed.
        """
        if self.deadline.passed():
            raise self.expired()

    def expired(self) -> DeadlineExceededError:
        """The error for a call past its deadline."""
        return deadline_error(self.deadline.seconds or 0.0, self.url, self.made)

    def refused(
        self, status: int, headers: Mapping[str, str], content: bytes, sent: frozenset[str]
    ) -> Retry | MashaGPTError:
        """After a non-2xx answer: retry (when and how), or the error to raise.

        Args:
            status: The HTTP status.
            headers: The answer's headers.
            content: The (capped) body.
            sent: The optional request fields that were sent (`stream_options`).
        """
        if (
            status == 400
            and STREAM_OPTIONS in sent
            and not self._dropped
            and STREAM_OPTIONS.encode() in content
        ):
            self._dropped = True
            if self._remember is not None:
                _REFUSED.setdefault(self._remember, set()).add(STREAM_OPTIONS)
            return Retry(0.0, drop=STREAM_OPTIONS)
        hook = ON_RETRY_AFTER.get() if status == 429 else None
        if hook is not None and (wait := server_wait(headers)) is not None:
            hook(wait)  # a shared rate limiter holds every process that shares it
        retried = status in RETRY_STATUSES or status >= 500
        if not retried or self.made > self.max_retries:
            return status_error(status, headers, content, attempts=self.made)
        wait = server_wait(headers)
        if wait is not None and (beyond := self._beyond(wait)) is not None:
            return status_error(
                status,
                headers,
                content,
                attempts=self.made,
                retry_after=wait,
                hint=f"The server asks to wait {wait:g} s{beyond}: try again after that time "
                "(the error's retry_after).",
            )
        return self._retry(wait)

    def _beyond(self, wait: float) -> str | None:
        """Why a `Retry-After` of `wait` seconds is not waited for, or `None` if it is."""
        if wait > MAX_RETRY_AFTER:
            return f" before trying again, longer than this client sleeps ({MAX_RETRY_AFTER:g} s)"
        left = self.left()
        if left is not None and wait >= left:
            return f", more than is left of the call's deadline ({self.deadline.seconds:g} s)"
        return None

    def failed(self, failure: str, *, timed_out: bool) -> Retry | MashaGPTError:
        """After an attempt that got no status line: retry, or the error to raise.

        Args:
            failure: What failed, e.g. `"ConnectError: [Errno 111] Connection refused"`.
            timed_out: Whether it was a timeout.
        """
        if self.deadline.passed():
            return self.expired()
        if self.made > self.max_retries:
            return connection_error(failure, self.url, timed_out=timed_out, attempts=self.made)
        return self._retry(None)

    def broke_off(self, failure: str, *, timed_out: bool, chunks: int) -> APIConnectionError:
        """The error for a 2xx answer that broke off: it is never sent again."""
        if self.deadline.passed():
            return self.expired()
        return connection_error(
            failure,
            self.url,
            timed_out=timed_out,
            attempts=self.made,
            chunks=chunks,
            started=True,
        )

    def _retry(self, wait: float | None) -> Retry | DeadlineExceededError:
        if wait is None:
            wait = backoff(self.made - 1, self._initial)
        left = self.left()
        if left is not None and wait >= left:
            return self.expired()
        return Retry(wait)
