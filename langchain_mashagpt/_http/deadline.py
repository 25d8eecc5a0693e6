"""The call's deadline: its default, its check, when it ends, what is left, timeouts cut to it.

Pure; no I/O. The model holds the `deadline` field (`DEFAULT_DEADLINE`, checked by
`check_deadline`) and hands it to the transport with each call, which checks it
again (it may have been assigned since, or given per call). Every part of
`_http` that works with the deadline does its arithmetic here:
`Deadline` is one call's (the seconds given, and when that is on a monotonic
clock), held by `_http.attempts.Attempts`; the functions work on a bare end
time, as `_http.sockets.DEADLINE` holds it, for the sockets, the body's reads
and the drains. An end time is a `time.monotonic()` time; `None` is no end.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_mashagpt._encodable import plain_number

__all__ = [
    "DEFAULT_DEADLINE",
    "Deadline",
    "check_deadline",
    "cut",
    "earlier",
    "ends_after",
    "remaining",
]

DEFAULT_DEADLINE = 600.0
"""Seconds one call may take in all (attempts, reads, waits) unless told otherwise."""


def check_deadline(deadline: object) -> float | None:
    """A call's `deadline` if it can work: `None` (no limit) or a number of seconds above 0.

    Checked on the field and on a per-call `deadline=`, before anything is sent;
    numpy's numbers are taken as the Python numbers they are.

    Raises:
        ValueError: Zero, a negative number, NaN, or not a number.
    """
    deadline = plain_number(deadline)
    if deadline is None:
        return None
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not deadline > 0:
        raise ValueError(
            "deadline must be a number of seconds above 0 (the most one call may take), "
            f"or None for no limit; got {deadline!r}."
        )
    return float(deadline)


def ends_after(seconds: float | None, clock: Callable[[], float] = time.monotonic) -> float | None:
    """When something allowed `seconds` from now ends (`None`: `seconds` is `None`, no end)."""
    return None if seconds is None else clock() + seconds


def remaining(ends: float | None, clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left until `ends` (0 or less once it has passed), or `None` without an end."""
    return None if ends is None else ends - clock()


def earlier(ends: float | None, outer: float | None) -> float | None:
    """The earlier of two end times, `None` being no end (an outer deadline may be sooner)."""
    return ends if outer is None or (ends is not None and ends < outer) else outer


def cut(timeout: float | None, left: float) -> float:
    """`timeout` cut to the `left` seconds of a deadline (`None`, no timeout, becomes `left`)."""
    return left if timeout is None or timeout > left else timeout


class Deadline:
    """One call's deadline: `seconds` from when it was made, on `clock`.

    Args:
        seconds: Seconds the whole call may take, or `None` for no limit.
        clock: A monotonic clock (injected by tests).

    Attributes:
        seconds: The seconds given.
        ends: When the call must end, in the clock's time, or `None`.
    """

    __slots__ = ("_clock", "ends", "seconds")

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.ends = ends_after(seconds, clock)

    def left(self) -> float | None:
        """Seconds left (0 or less once passed), or `None` without a deadline."""
        return remaining(self.ends, self._clock)

    def passed(self) -> bool:
        """Whether the deadline has passed (never, without one)."""
        return self.ends is not None and self._clock() >= self.ends

    def cut(self, timeout: float | None) -> float | None:
        """`timeout` cut to what is left (`None` and no deadline: `None`, no limit)."""
        left = self.left()
        return timeout if left is None else cut(timeout, left)
