"""The one error hierarchy of `langchain_mashagpt`.

Every failure the package raises while talking to MashaGPT is a `MashaGPTError`.
Where langchain-core has a matching class (`langchain_core.exceptions`), ours
inherits it too, so generic LangChain code (fallbacks, retries, agents) can catch
either::

    MashaGPTError
    ├── APIError                      the server reported an error object
    │   └── APIStatusError            a non-2xx answer
    │       ├── BadRequestError            400, 422   (ModelInvalidRequestError)
    │       │   └── ContextOverflowError   the prompt is too long (ContextOverflowError)
    │       ├── AuthenticationError        401        (ModelAuthenticationError)
    │       ├── InsufficientBalanceError   402        (ModelPermissionDeniedError)
    │       ├── PermissionDeniedError      403        (ModelPermissionDeniedError)
    │       ├── NotFoundError              404        (ModelNotFoundError)
    │       ├── RateLimitError             429        (ModelRateLimitError)
    │       └── InternalServerError        5xx        (ModelAPIError)
    ├── APIConnectionError            could not reach the server, or lost it
    │   │                             (ModelConnectionError)
    │   ├── APITimeoutError           connect or read timed out (ModelTimeoutError)
    │   │   └── DeadlineExceededError the call's total `deadline` ran out
    │   └── IncompleteStreamError     a stream ended before `data: [DONE]`
    ├── APIResponseValidationError    a 2xx answer that is not what the API documents
    ├── RequestEncodingError          the request cannot be written as JSON (ValueError,
    │                                 TypeError); raised before sending
    ├── MissingDependencyError        an optional package the setup needs is missing
    │                                 (ImportError), e.g. socksio for a SOCKS proxy
    ├── BudgetExceededError           a usage budget is spent (see `callbacks`)
    │   └── SharedBudgetExceededError a Redis budget would pass its limit (`limits`)
    └── BudgetStoreUnavailableError   Redis cannot be reached (`limits`)

No message, `repr` or attribute of these errors ever holds the API key, nor any
piece of it a server echoed; they chain no other exception (`__cause__` and
`__context__` are `None`), since those carry the request and its headers. The
server's text is cut to `MAX_SERVER_TEXT` characters in messages and a body
kept on an error to `MAX_KEPT_BODY` bytes' worth.
"""

from __future__ import annotations

from typing import Any

from langchain_core.exceptions import ContextOverflowError as _CoreContextOverflowError
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ContextOverflowError",
    "DeadlineExceededError",
    "IncompleteStreamError",
    "InsufficientBalanceError",
    "InternalServerError",
    "MashaGPTError",
    "MissingDependencyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestEncodingError",
]

MAX_SERVER_TEXT = 2000
"""The most characters of a server's message quoted in an error's text."""
MAX_KEPT_BODY = 64 * 1024
"""A body larger than this (in bytes) is kept on an error only as its first characters."""


def _restored(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An error of `cls` with `args`, its attributes set afterwards by pickle (`__reduce__`)."""
    exc = cls.__new__(cls)
    exc.args = args
    return exc


class MashaGPTError(Exception):
    """Root of every error this package raises about a MashaGPT request.

    Every subclass round-trips through `pickle` and `copy.deepcopy` (class, message,
    attributes), also those whose `__init__` takes keyword-only arguments, so an
    error can cross a `ProcessPoolExecutor`.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuilt without calling `__init__`: its `args` and attributes as they are."""
        return _restored, (type(self), self.args), dict(vars(self))


class APIError(MashaGPTError):
    """The server answered with an `{"error": {...}}` object.

    Raised as is for an error inside a 2xx body or a streamed `error` event;
    non-2xx answers raise an `APIStatusError` subclass.
    """

    def __init__(
        self,
        message: str,
        *,
        body: Any = None,
        code: str | None = None,
        error_type: str | None = None,
    ) -> None:
        """Create the error.

        Args:
            message: What happened and what to do, for a person.
            body: The parsed JSON (or raw text) the server sent.
            code: The server's `error.code`, if any.
            error_type: The server's `error.type`, if any.
        """
        super().__init__(message)
        self.message = message
        self.body = body
        self.code = code
        self.error_type = error_type


class APIStatusError(APIError):
    """A non-2xx HTTP answer."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        code: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Create the error.

        Args:
            message: What happened and what to do, for a person.
            status_code: The HTTP status.
            body: The parsed JSON (or raw text) the server sent.
            code: The server's `error.code`, if any.
            error_type: The server's `error.type`, if any.
            request_id: The server's request id header, if it sent one.
            headers: The answer's headers (without anything secret).
            attempts: How many requests were made, retries included.
            retry_after: Seconds the server asked to wait before trying again
                (`Retry-After`), when it said and the wait was not taken.
        """
        super().__init__(message, body=body, code=code, error_type=error_type)
        self.status_code = status_code
        self.request_id = request_id
        self.headers = headers or {}
        self.attempts = attempts
        self.retry_after = retry_after


class BadRequestError(APIStatusError, ModelInvalidRequestError):
    """400/422: the API refused the request as malformed."""


class ContextOverflowError(BadRequestError, _CoreContextOverflowError):
    """400: the prompt (with the answer asked for) is longer than the model's context."""


class AuthenticationError(APIStatusError, ModelAuthenticationError):
    """401: the API key is missing, wrong or revoked."""


class InsufficientBalanceError(APIStatusError, ModelPermissionDeniedError):
    """402: the account has no energy left to pay for the request."""


class PermissionDeniedError(APIStatusError, ModelPermissionDeniedError):
    """403: the key may not use this model or endpoint."""


class NotFoundError(APIStatusError, ModelNotFoundError):
    """404: the model (or endpoint) does not exist."""


class RateLimitError(APIStatusError, ModelRateLimitError):
    """429: too many requests; retried with the server's `Retry-After`.

    A `Retry-After` longer than the client waits (60 s) raises at once, with
    the wait in `retry_after`, so that the caller can schedule the retry.
    """


class InternalServerError(APIStatusError, ModelAPIError):
    """5xx: the server failed; retried."""


class APIConnectionError(MashaGPTError, ModelConnectionError):
    """The server could not be reached, or the connection was lost."""

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        """Create the error.

        Args:
            message: What happened and what to do, for a person.
            attempts: How many requests were made, retries included.
        """
        super().__init__(message)
        self.message = message
        self.attempts = attempts


class APITimeoutError(APIConnectionError, ModelTimeoutError):
    """Connecting or waiting for the answer took longer than `timeout`."""


class DeadlineExceededError(APITimeoutError):
    """The call's total `deadline` (every attempt, read and wait) ran out."""


class IncompleteStreamError(APIConnectionError):
    """A streamed answer ended before `data: [DONE]`: the text would be truncated."""


class APIResponseValidationError(MashaGPTError):
    """A 2xx answer that is not the JSON the API documents."""

    def __init__(self, message: str, *, body: Any = None) -> None:
        """Create the error.

        Args:
            message: What is wrong with the answer.
            body: The answer (parsed, or its first characters as text).
        """
        super().__init__(message)
        self.message = message
        self.body = body


class RequestEncodingError(MashaGPTError, ValueError, TypeError):
    """The request holds something JSON cannot take; nothing was sent.

    NaN or ±Infinity, keys that become one JSON key (`{1: "a", "1": "b"}`), a
    key that is neither text nor a number, a set, bytes, text with a lone
    surrogate, a value that contains itself. The message says where: the
    message (its index in the input and its role), the tool, or the body field,
    and the path inside it. Also a `ValueError` and a `TypeError`, which the
    JSON encoder raised for these before.
    """

    def __init__(self, message: str, *, where: str = "") -> None:
        """Create the error.

        Args:
            message: What is wrong, where, and what to do.
            where: Where it is, in words (e.g. `"message 2 (user), its text"`).
        """
        super().__init__(message)
        self.message = message
        self.where = where


class MissingDependencyError(MashaGPTError, ImportError):
    """An optional package the setup needs is not installed; the message says which extra.

    For example a SOCKS proxy in `ALL_PROXY` needs `socksio`:
    `pip install 'langchain-mashagpt[socks]'`.
    """


class BudgetExceededError(MashaGPTError):
    """A usage budget is spent; raised before the next request is sent.

    Set by `get_mashagpt_callback(max_energy=..., max_tokens=...)`. Nothing was
    sent for the call that raised it, so it cost nothing.
    """

    def __init__(self, spent: int, limit: int, unit: str, requests: int) -> None:
        """Create the error.

        Args:
            spent: What the block has spent so far, in `unit`.
            limit: The budget, in `unit`.
            unit: `"energy"` (`max_energy`) or `"tokens"` (`max_tokens`).
            requests: How many requests the block has made.
        """
        super().__init__(spent, limit, unit, requests)
        self.spent = spent
        self.limit = limit
        self.unit = unit
        self.requests = requests
        self.message = (
            f"MashaGPT {unit} budget spent: {spent} of max_{unit}={limit} used by "
            f"{requests} request(s) in this get_mashagpt_callback() block, so the next "
            f"request was not sent. Raise max_{unit}, or start a new block to allow more calls."
        )

    def __str__(self) -> str:
        """The message."""
        return self.message
