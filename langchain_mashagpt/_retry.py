"""The retry policy and the errors of failed attempts. Pure; no I/O.

Which attempts are retried, how long to wait (the server's `retry-after-ms` or
`Retry-After`, else exponential backoff with jitter), and the typed error a
failure ends in, with what happened and after how many attempts.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import Any

from langchain_mashagpt._decode import error_payload, loads
from langchain_mashagpt.errors import (
    APIConnectionError,
    APITimeoutError,
    IncompleteStreamError,
    MashaGPTError,
    status_error_class,
)

__all__ = [
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "RETRY_STATUSES",
    "connection_error",
    "retry_delay",
    "status_error",
    "stream_failure",
]

INITIAL_BACKOFF = 0.5
"""Seconds before the first retry when the server does not say (then doubled)."""
MAX_BACKOFF = 8.0
"""The longest computed wait between two attempts, in seconds."""
MAX_RETRY_AFTER = 60.0
"""The longest `Retry-After` honoured; a longer one falls back to the backoff."""
RETRY_STATUSES = frozenset({408, 409, 429})
"""Statuses retried besides every 5xx."""


def retry_delay(attempt: int, headers: Mapping[str, str] | None) -> float:
    """Seconds to wait before retry number `attempt + 1`."""
    if headers is not None:
        try:
            if (ms := headers.get("retry-after-ms")) is not None:
                wait = float(ms) / 1000
            elif (value := headers.get("retry-after")) is not None:
                try:
                    wait = float(value)
                except ValueError:
                    date = email.utils.parsedate_to_datetime(value)
                    wait = date.timestamp() - time.time()
            else:
                wait = -1.0
            if 0 <= wait <= MAX_RETRY_AFTER:
                return float(wait)
        except (TypeError, ValueError):
            pass
    backoff = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return backoff * random.uniform(0.75, 1.0)


_HINTS = {
    400: "Fix the request as the server says.",
    401: "Check the API key: set MASHAGPT_API_KEY or pass api_key=.",
    402: "Top up the account's energy balance at mashagpt.ru.",
    403: "This key may not use this model or endpoint.",
    404: "Check the model name and base_url.",
    429: "Rate limited: send fewer requests at once or raise max_retries.",
}


def status_error(
    status: int, headers: Mapping[str, str], content: bytes, attempts: int, secret: bytes = b""
) -> MashaGPTError:
    if secret and secret in content:  # a server that echoes the rejected key back
        content = content.replace(secret, b"<API key>")
    try:
        body: Any = loads(content)
    except ValueError:
        body = content.decode("utf-8", "replace")
    message, code, error_type = error_payload(body)
    if message is None:
        message = str(body)[:300] or "(empty body)"
    hint = _HINTS.get(status, "The server failed; try again later." if status >= 500 else "")
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return status_error_class(status)(
        f"MashaGPT answered HTTP {status}{tries}: {message} {hint}".rstrip(),
        status_code=status,
        body=body,
        code=code,
        error_type=error_type,
        request_id=headers.get("x-request-id") or headers.get("request-id"),
        headers={k: v for k, v in headers.items() if k.lower() != "set-cookie"},
        attempts=attempts,
    )


def connection_error(exc: Exception, is_timeout: bool, attempts: int) -> MashaGPTError:
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if is_timeout:
        return APITimeoutError(
            f"MashaGPT did not answer in time{tries} ({type(exc).__name__}). "
            "Raise timeout= or max_retries=, or try again later.",
            attempts=attempts,
        )
    return APIConnectionError(
        f"Could not talk to MashaGPT{tries}: {type(exc).__name__}: {exc}. "
        "Check base_url and the network.",
        attempts=attempts,
    )


def stream_failure(
    exc: Exception, timeout_error: type[Exception], attempt: int, chunks: int
) -> MashaGPTError:
    """The error for a transport exception that is not retried (`chunks` already yielded)."""
    if chunks and isinstance(exc, timeout_error):
        return APITimeoutError(
            f"MashaGPT's stream stalled after {chunks} chunks: nothing more came "
            f"in time ({type(exc).__name__}); the partial answer is not returned, "
            "and a started stream is never retried. Raise timeout= or try again.",
            attempts=attempt + 1,
        )
    if chunks:
        return IncompleteStreamError(
            f"MashaGPT's stream broke off after {chunks} chunks "
            f"({type(exc).__name__}: {exc}); the partial answer is not returned. "
            "Try again.",
            attempts=attempt + 1,
        )
    return connection_error(exc, isinstance(exc, timeout_error), attempt + 1)
