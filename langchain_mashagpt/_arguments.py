"""Constructor arguments: aliases, unknown keywords and credential-like names, before validation.

`constructor_arguments` runs on the raw keyword arguments of `ChatMashaGPT(...)`:
the key is hidden, other packages' names for a field become the field, a name
that looks like a credential (`apiKey=`, `token=`) or a close misspelling of a
field is an error naming the field, any other unknown keyword moves to
`model_kwargs` with a warning (as LangChain's partner packages do), and a profile
looked up for another model is dropped. No I/O.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Mapping
from typing import Any

from pydantic.fields import FieldInfo

from langchain_mashagpt._http.credential import credential_like, misplaced_credential
from langchain_mashagpt._http.redact import hide_key
from langchain_mashagpt._http.urls import check_headers
from langchain_mashagpt._profiles import carried_over

__all__ = ["ALIASES", "constructor_arguments", "init_arguments"]

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
        _move(
            name,
            values,
            extra,
            f"ChatMashaGPT has no argument {name!r}; it is sent in the request body as "
            f"model_kwargs[{name!r}]. Pass it in model_kwargs to silence this warning.",
        )
    for name in sorted(set(extra) & set(fields)):
        _move(
            name,
            extra,
            values,
            f"{name} is an argument of ChatMashaGPT: it was taken out of model_kwargs and "
            f"used as {name}=. Pass it that way to silence this warning.",
        )
    if extra or "model_kwargs" in values:
        values["model_kwargs"] = extra
    return values


def _move(name: str, source: dict[str, Any], target: dict[str, Any], warning: str) -> None:
    """Move `name` between the arguments and `model_kwargs`, with `warning`.

    Raises:
        ValueError: `target` has `name` already: it was given in both places.
    """
    if name in target:
        raise ValueError(f"{name} was given twice, directly and in model_kwargs: pass it once.")
    warnings.warn(warning, UserWarning, stacklevel=6)  # one frame below init_arguments
    target[name] = source.pop(name)
