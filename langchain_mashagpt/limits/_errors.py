"""The errors and warning of the shared limits; part of the one hierarchy of `errors`.

MashaGPTError
├── BudgetExceededError
│   └── SharedBudgetExceededError   a Redis budget would pass its limit
└── BudgetStoreUnavailableError     Redis cannot be reached (budget or rate limiter)
"""

from __future__ import annotations

import warnings
from typing import Any

from langchain_mashagpt.errors import BudgetExceededError, MashaGPTError

__all__ = [
    "BudgetStoreUnavailableError",
    "BudgetStoreUnavailableWarning",
    "SharedBudgetExceededError",
    "unavailable",
]


class SharedBudgetExceededError(BudgetExceededError):
    """A shared (Redis) energy budget would pass its limit; raised before sending.

    Nothing was sent for the call that raised it. `spent` is what every process
    sharing the budget has settled, `reserved` what calls in flight hold,
    `estimate` what this call would have reserved.
    """

    def __init__(
        self,
        name: str,
        *,
        spent: int,
        reserved: int,
        estimate: int,
        limit: int,
        requests: int,
        window: float | None,
    ) -> None:
        """Create the error.

        Args:
            name: The budget's name (its user appended for a per-user budget).
            spent: Energy settled under the name (within the window, if any).
            reserved: Energy held by calls in flight.
            estimate: This call's estimate.
            limit: The budget's limit.
            requests: Requests settled under the name.
            window: The rolling window in seconds, or `None` for all time.
        """
        super().__init__(spent=spent, limit=limit, unit="energy", requests=requests)
        self.name = name
        self.reserved = reserved
        self.estimate = estimate
        self.window = window
        span = "in all" if window is None else f"in the last {window:g} s"
        if estimate > limit:
            todo = "lower max_tokens (the estimate counts all of it), or raise the limit"
        else:
            todo = "wait for the budget to free up" if window else "raise the limit"
            todo += ", or use another budget name"
        self.message = (
            f"MashaGPT shared energy budget {name!r} would pass its limit: {spent} spent "
            f"{span} and {reserved} reserved by calls in flight, of limit={limit}; this "
            f"call's estimate is {estimate}, so it was not sent. To go on, {todo}."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "spent": self.spent,
            "reserved": self.reserved,
            "estimate": self.estimate,
            "limit": self.limit,
            "requests": self.requests,
            "window": self.window,
        }
        return (_rebuild, (self.name, kwargs))


def _rebuild(name: str, kwargs: dict[str, Any]) -> SharedBudgetExceededError:
    return SharedBudgetExceededError(name, **kwargs)


class BudgetStoreUnavailableError(MashaGPTError):
    """Redis, which holds a shared budget or rate limit, cannot be reached.

    Raised before the request is sent (fail-closed). With `fail_open=True` the
    call goes ahead instead, with a `BudgetStoreUnavailableWarning`.
    """

    def __init__(self, what: str, where: str, failure: str) -> None:
        """Create the error.

        Args:
            what: The budget or limiter, e.g. `"energy budget 'team-a'"`.
            where: Redis's address, without credentials.
            failure: What failed, e.g. `"ConnectionError: Connection refused"`.
        """
        super().__init__(what, where, failure)
        self.what = what
        self.where = where
        self.failure = failure
        self.message = (
            f"The MashaGPT {what} cannot reach Redis at {where} ({failure}), so the "
            "request was not sent. Start Redis or fix its URL; to let calls through "
            "unchecked while Redis is down, pass fail_open=True."
        )

    def __str__(self) -> str:
        """The message."""
        return self.message


class BudgetStoreUnavailableWarning(UserWarning):
    """Redis is down and `fail_open=True` let a call through unchecked."""


def unavailable(exc: BudgetStoreUnavailableError, *, fail_open: bool, lets: str) -> None:
    """Redis is down: raise `exc`, or with `fail_open` warn that the call goes ahead.

    Called by a limit's own method (`reserve`, `acquire`), so the warning points
    at the code that called the model.

    Args:
        exc: The failure to reach Redis.
        fail_open: The limit's `fail_open`.
        lets: What goes ahead, and without what (`"the call through without a budget check"`).

    Raises:
        BudgetStoreUnavailableError: `exc`, unless `fail_open`.
    """
    if not fail_open:
        raise exc
    warnings.warn(
        f"{exc.message.split(', so the request')[0]}; fail_open=True lets {lets}.",
        BudgetStoreUnavailableWarning,
        stacklevel=4,
    )
