"""The client settings of a model: checked, compared, and handed to its `Transport`.

`client_settings` checks `base_url`, `timeout` and `retry_backoff` and is what
the transport is keyed on, so a change of a client setting after first use
takes effect on the next call. No I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from langchain_mashagpt._http.urls import check_headers

__all__ = [
    "check_retry_backoff",
    "check_timeout",
    "client_settings",
    "transport_options",
]

_CLIENT_FIELDS = (
    "base_url",
    "default_query",
    "api_key",
    "default_headers",
    "timeout",
    "max_retries",
    "retry_backoff",
    "max_response_bytes",
    "max_event_bytes",
    "http_client",
    "http_async_client",
    "include_response_headers",
    "energy_budget",
)


def check_timeout(timeout: float | None) -> float | None:
    """`timeout` if it can work: `None` (wait forever) or a number of seconds above 0.

    Raises:
        ValueError: Zero, a negative number or NaN.
    """
    if timeout is not None and not (timeout > 0):  # `not >` so NaN is refused too
        raise ValueError(
            f"timeout must be a number of seconds above 0, or None to wait forever; "
            f"got {timeout!r}."
        )
    return timeout


def check_retry_backoff(seconds: float) -> float:
    """`retry_backoff` if it can work: a finite number of seconds, 0 or more.

    Raises:
        ValueError: A negative number, NaN or infinity.
    """
    if not 0 <= seconds < math.inf:  # written so that NaN is refused too
        raise ValueError(
            f"retry_backoff must be a finite number of seconds, 0 or more; got {seconds!r}. "
            "Pass e.g. 0.5 (the default), or 0 to retry at once."
        )
    return seconds


def client_settings(model: object) -> tuple[Any, ...]:
    """What a model's transport is built from, to compare with what it was built from.

    Mappings are copied, so a header changed in place counts as a change; the
    timeout and the retry backoff are checked again, as they may have been
    assigned after construction.
    """
    values = [getattr(model, name) for name in _CLIENT_FIELDS]
    values = [dict(v) if isinstance(v, Mapping) else v for v in values]
    check_timeout(values[_CLIENT_FIELDS.index("timeout")])
    check_headers(values[_CLIENT_FIELDS.index("default_headers")])
    check_retry_backoff(values[_CLIENT_FIELDS.index("retry_backoff")])
    return tuple(values)


def transport_options(model: Any) -> dict[str, Any]:
    """The keyword arguments of the `Transport` for `model`'s client settings."""
    options = {name: getattr(model, name) for name in _CLIENT_FIELDS}
    options["initial_backoff"] = options.pop("retry_backoff")
    options["client"] = options.pop("http_client")
    options["async_client"] = options.pop("http_async_client")
    return options
