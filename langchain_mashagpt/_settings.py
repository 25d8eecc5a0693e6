"""Constructor arguments: aliases, unknown keywords, settings that cannot work.

`constructor_arguments` runs on the raw keyword arguments of `ChatMashaGPT(...)`:
the key is hidden, other packages' names for a field become the field, a name
that looks like a credential (`apiKey=`, `token=`) or a close misspelling of a
field is an error naming the field, any other unknown keyword moves to
`model_kwargs` with a warning (as LangChain's partner packages do), and a profile
looked up for another model is dropped. `client_settings` checks `base_url`,
`timeout` and `retry_backoff` and is what the transport is keyed on, so a change
of a client setting after first use takes effect on the next call. No I/O.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Collection, Mapping
from typing import Any

from langchain_core.language_models import LangSmithParams
from pydantic.fields import FieldInfo

from langchain_mashagpt._answers import PROVIDER
from langchain_mashagpt._credential import credential_like, misplaced_credential
from langchain_mashagpt._encodable import plain_number
from langchain_mashagpt._profiles import carried_over
from langchain_mashagpt._secrets import hide_key
from langchain_mashagpt._urls import check_base_url, check_headers, endpoint, shown_url

__all__ = [
    "ALIASES",
    "call_params",
    "check_base_url",
    "check_deadline",
    "check_headers",
    "check_retry_backoff",
    "check_timeout",
    "client_settings",
    "constructor_arguments",
    "default_params",
    "endpoint",
    "init_arguments",
    "ls_params",
    "shown_url",
    "transport_options",
]

ALIASES = {
    "request_timeout": "timeout",  # ChatOpenAI, ChatAnthropic
    "max_completion_tokens": "max_tokens",  # OpenAI's newer name; the API takes max_tokens
    "api_base": "base_url",
    "openai_api_base": "base_url",  # ChatOpenAI's field name
    "model_name": "model",
}
_REFUSED = {
    "openai_api_key": (
        "openai_api_key is ChatOpenAI's name for an OpenAI key, and MashaGPT needs its own: "
        "pass api_key=... (or set MASHAGPT_API_KEY)."
    ),
}
_NOT_MISSPELLINGS = frozenset({"top_k", "top_a"})  # real parameters of other providers
_REQUEST_FIELDS = (
    "temperature",
    "max_tokens",
    "top_p",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "user",
)
_CLIENT_FIELDS = (
    "base_url",
    "default_query",
    "api_key",
    "default_headers",
    "timeout",
    "max_retries",
    "retry_backoff",
    "deadline",
    "max_response_bytes",
    "max_event_bytes",
    "http_client",
    "http_async_client",
    "include_response_headers",
    "energy_budget",
)


def constructor_arguments(values: Any, fields: Mapping[str, FieldInfo]) -> Any:
    """`ChatMashaGPT`'s raw input made ready for validation (its `before` validator).

    The key is wrapped in `SecretStr` in place (pydantic quotes the input in its
    errors; `ChatMashaGPT` also sets `hide_input_in_errors`), then `init_arguments`
    resolves aliases, refuses credential-like names and moves unknown keywords,
    `default_headers` are checked, and a `profile` that is the looked-up profile
    of another model (a copy's, or one `configurable_fields` carried over) is
    dropped, to be looked up again.

    Args:
        values: The keyword arguments as given.
        fields: The model's fields (`model_fields`).
    """
    if not isinstance(values, dict):  # pragma: no cover - keyword arguments are a dict
        return values
    values = init_arguments(hide_key(values, fields), fields)
    if isinstance(headers := values.get("default_headers"), Mapping):
        check_headers(headers)  # also at each call, as they may be changed in place
    if carried_over(values.get("profile"), values.get("model", fields["model"].default)):
        del values["profile"]
    return values


def init_arguments(values: dict[str, Any], fields: Collection[str]) -> dict[str, Any]:
    """The constructor's keyword arguments with aliases resolved and unknown ones moved.

    Args:
        values: The keyword arguments as given (not changed).
        fields: The model's field names.

    Returns:
        New arguments: aliases replaced by their field, unknown keywords in
        `model_kwargs`.

    Raises:
        ValueError: A field given twice (directly and by alias, or also in
            `model_kwargs`), a refused name, or a close misspelling of a field.
            A field inside `model_kwargs` is taken out and used, with a warning.
    """
    values = dict(values)
    for alias, field in ALIASES.items():
        if alias in values:
            if field in values:
                raise ValueError(
                    f"{field} was given twice, as {field}= and as {alias}=: pass only {field}=."
                )
            values[field] = values.pop(alias)
    extra: dict[str, Any] = dict(values.get("model_kwargs") or {})
    for name in list(values):
        if name in fields:
            continue
        if name in _REFUSED:
            raise ValueError(_REFUSED[name])
        close = difflib.get_close_matches(name, [*fields, *ALIASES], n=1, cutoff=0.8)
        if close and name not in _NOT_MISSPELLINGS:
            raise ValueError(
                f"ChatMashaGPT has no argument {name!r}: did you mean {close[0]!r}? "
                f"(To send {name!r} in the request body as it is, pass "
                f"model_kwargs={{{name!r}: ...}}.)"
            )
        if credential_like(name):  # never into the body, the repr or the traces
            misplaced_credential(name)
        if name in extra:
            raise ValueError(f"{name} was given twice, directly and in model_kwargs: pass it once.")
        warnings.warn(
            f"ChatMashaGPT has no argument {name!r}; it is sent in the request body as "
            f"model_kwargs[{name!r}]. Pass it in model_kwargs to silence this warning.",
            UserWarning,
            stacklevel=5,
        )
        extra[name] = values.pop(name)
    for name in sorted(set(extra) & set(fields)):
        if name in values:
            raise ValueError(f"{name} was given twice, directly and in model_kwargs: pass it once.")
        warnings.warn(
            f"{name} is an argument of ChatMashaGPT: it was taken out of model_kwargs and "
            f"used as {name}=. Pass it that way to silence this warning.",
            UserWarning,
            stacklevel=5,
        )
        values[name] = extra.pop(name)
    if extra or "model_kwargs" in values:
        values["model_kwargs"] = extra
    return values


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


def call_params(params: dict[str, Any], call: Mapping[str, Any]) -> dict[str, Any]:
    """The model's `params` with a call's (or `bind`'s) keyword arguments over them.

    `max_completion_tokens` is sent as the API's `max_tokens`; an `extra_body`
    mapping is merged into the body (it wins).

    Raises:
        ValueError: `max_tokens` and `max_completion_tokens` both given, or an
            `extra_body` that is not a mapping.
    """
    call = dict(call)
    if "max_completion_tokens" in call:
        if "max_tokens" in call:
            raise ValueError(
                "max_tokens was given twice, as max_tokens= and as max_completion_tokens=: "
                "pass only max_tokens=."
            )
        call["max_tokens"] = call.pop("max_completion_tokens")
    params = {**params, **call}
    extra = params.pop("extra_body", None)
    if extra:
        if not isinstance(extra, Mapping):
            raise ValueError(f"extra_body must be a mapping of body fields, got {extra!r}.")
        params.update(extra)
    return params


def transport_options(model: Any) -> dict[str, Any]:
    """The keyword arguments of the `Transport` for `model`'s client settings."""
    options = {name: getattr(model, name) for name in _CLIENT_FIELDS}
    options["initial_backoff"] = options.pop("retry_backoff")
    options["client"] = options.pop("http_client")
    options["async_client"] = options.pop("http_async_client")
    return options


def ls_params(params: Mapping[str, Any], stop: list[str] | None) -> LangSmithParams:
    """LangSmith's run parameters for a call's merged `params` and `stop`."""
    result = LangSmithParams(
        ls_provider=PROVIDER, ls_model_name=params["model"], ls_model_type="chat"
    )
    if (temperature := params.get("temperature")) is not None:
        result["ls_temperature"] = temperature
    if (max_tokens := params.get("max_tokens")) is not None:
        result["ls_max_tokens"] = max_tokens
    if stop := stop or params.get("stop"):
        result["ls_stop"] = [stop] if isinstance(stop, str) else list(stop)
    return result


def default_params(model: Any) -> dict[str, Any]:
    """The request parameters a model's fields set, before bound and per-call ones."""
    params: dict[str, Any] = {"model": model.model}
    for name in _REQUEST_FIELDS:
        value = getattr(model, name)
        if value is not None:
            params[name] = value
    params["stream_usage"] = model.stream_usage
    params.update(model.model_kwargs)
    params.update(model.extra_body or {})
    return params
