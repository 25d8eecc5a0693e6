"""Building the errors: status → class and advice, the server's text cut, the messages.

The classes live in `langchain_mashagpt.errors`; this module writes their
messages from what an answer or a failed connection says. Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from langchain_mashagpt._json import loads
from langchain_mashagpt.errors import (
    MAX_KEPT_BODY,
    MAX_SERVER_TEXT,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    DeadlineExceededError,
    IncompleteStreamError,
    InsufficientBalanceError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = [
    "connection_error",
    "deadline_error",
    "error_payload",
    "kept_body",
    "server_text",
    "status_class",
    "status_error",
]

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
