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

import re
from collections.abc import Mapping
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

from langchain_mashagpt._json import loads

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


# ---------------------------------------------------------------- building the errors

_HINT_5XX = "The server failed; try again later."
_STATUS: dict[int, tuple[type[APIStatusError], str]] = {
    400: (BadRequestError, "Fix the request as the server says."),
    401: (AuthenticationError, "Check the API key: set MASHAGPT_API_KEY or pass api_key=."),
    402: (InsufficientBalanceError, "Top up the account's energy balance at mashagpt.ru."),
    403: (PermissionDeniedError, "This key may not use this model or endpoint."),
    404: (NotFoundError, "Check the model name and base_url."),
    408: (APIStatusError, "The server gave up waiting for the request; try again later."),
    409: (APIStatusError, "The request conflicted with another one; try again."),
    422: (BadRequestError, "Fix the request as the server says."),
    429: (RateLimitError, "Rate limited: send fewer requests at once or raise max_retries."),
}
"""The one status → (class, what to do) table; every other 5xx is `InternalServerError`."""
_MESSAGE = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)')
_CONTEXT_OVERFLOW = ("context_length_exceeded", "maximum context length", "prompt is too long")
_CONTEXT_HINT = "Shorten the conversation (trim or summarise old messages) or lower max_tokens."


def status_class(status: int, code: str | None = None, message: str = "") -> type[APIStatusError]:
    """The error class for an HTTP status (and, for a 400, the server's code and message)."""
    if status >= 500:
        return InternalServerError
    cls = _STATUS.get(status, (APIStatusError, ""))[0]
    if cls is BadRequestError and _is_context_overflow(code, message):
        return ContextOverflowError
    return cls


def _is_context_overflow(code: str | None, message: str) -> bool:
    text = f"{code or ''} {message}".lower()
    return any(marker in text for marker in _CONTEXT_OVERFLOW)


def server_text(text: str) -> str:
    """A server's message as one sentence of ours: cut to `MAX_SERVER_TEXT`, one full stop."""
    text = text.strip()
    if len(text) > MAX_SERVER_TEXT:
        text = f"{text[:MAX_SERVER_TEXT]}… ({len(text)} characters in all)"
    if not text:
        return "(no message)."
    return text if text[-1] in ".!?…)" else f"{text}."


def kept_body(content: bytes) -> Any:
    """What an error keeps of a body: its JSON when small enough, else its first characters."""
    if len(content) <= MAX_KEPT_BODY:
        try:
            return loads(content)
        except ValueError:
            pass
    return content[:MAX_SERVER_TEXT].decode("utf-8", "replace")


def error_payload(body: Any) -> tuple[str | None, str | None, str | None]:
    """Message, code and type of an OpenAI-style `{"error": ...}` body."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        return (
            str(message) if message is not None else None,
            str(error["code"]) if error.get("code") is not None else None,
            str(error["type"]) if error.get("type") is not None else None,
        )
    if isinstance(error, str):
        return error, None, None
    return None, None, None


def status_error(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    attempts: int,
    retry_after: float | None = None,
    hint: str | None = None,
) -> APIStatusError:
    """The error for a non-2xx answer, its class and hint from the one status table.

    Args:
        status: The HTTP status.
        headers: The answer's headers.
        content: The body (already cut to what was read).
        attempts: How many requests were made, retries included.
        retry_after: The server's wait that was not taken, if any.
        hint: What to do, instead of the status table's.
    """
    body = kept_body(content)
    message, code, error_type = error_payload(body)
    if message is None and isinstance(body, str):  # JSON cut at the read limit
        found = _MESSAGE.search(body)
        message = found.group(1).replace('\\"', '"') if found else None
    if message is None:
        message = (body if isinstance(body, str) else str(body)) or "(empty body)"
    cls = status_class(status, code, message)
    if hint is None:
        hint = _CONTEXT_HINT if cls is ContextOverflowError else _STATUS.get(status, ("", ""))[1]
        hint = hint or (_HINT_5XX if status >= 500 else "")
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return cls(
        f"MashaGPT answered HTTP {status}{tries}: {server_text(message)} {hint}".rstrip(),
        status_code=status,
        body=body,
        code=code,
        error_type=error_type,
        request_id=headers.get("x-request-id") or headers.get("request-id"),
        headers={k: v for k, v in headers.items() if k.lower() != "set-cookie"},
        attempts=attempts,
        retry_after=retry_after,
    )


def connection_error(
    failure: str,
    url: str,
    *,
    timed_out: bool,
    attempts: int,
    chunks: int = 0,
    started: bool = False,
) -> APIConnectionError:
    """The error for a failed connection or read, after `attempts` requests.

    Args:
        failure: What failed, e.g. `"ConnectError: [Errno 111] Connection refused"`.
        url: The URL tried (without any credentials).
        timed_out: Whether it was a timeout.
        attempts: How many requests were made, retries included.
        chunks: How many chunks of a stream had been yielded.
        started: Whether a 2xx answer had started arriving (so it is not sent again).
    """
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if chunks:
        what = "nothing more came in time" if timed_out else "the connection broke"
        cls: type[APIConnectionError] = APITimeoutError if timed_out else IncompleteStreamError
        return cls(
            f"MashaGPT's stream from {url} broke off after {chunks} chunks: {what} "
            f"({failure}). The partial answer is not returned, and a started stream is "
            "never sent again. Try again.",
            attempts=attempts,
        )
    if started:
        what = "stopped arriving" if timed_out else "was cut off"
        cls = APITimeoutError if timed_out else APIConnectionError
        return cls(
            f"MashaGPT's answer from {url} {what} after it had started ({failure}). "
            "The request is not sent again: the server may already have done, and "
            "billed, the work. Try again if you accept that.",
            attempts=attempts,
        )
    if timed_out:
        return APITimeoutError(
            f"MashaGPT at {url} did not answer in time{tries} ({failure}). Raise "
            "timeout= or max_retries=, or try again later.",
            attempts=attempts,
        )
    return APIConnectionError(
        f"Could not talk to MashaGPT at {url}{tries} ({failure}). Check base_url and the network.",
        attempts=attempts,
    )


def deadline_error(deadline: float, url: str, attempts: int) -> DeadlineExceededError:
    """The error for a call that ran out of its total `deadline` (in seconds)."""
    return DeadlineExceededError(
        f"MashaGPT at {url} did not finish within the call's deadline of {deadline:g} s "
        f"({attempts} attempt{'s' if attempts > 1 else ''}). Raise deadline= (on the "
        "model, or per call: invoke(..., deadline=...)), or try again later.",
        attempts=attempts,
    )
