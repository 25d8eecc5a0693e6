"""Constructor arguments: aliases, unknown keywords, settings that cannot work.

`init_arguments` runs on the raw keyword arguments of `ChatMashaGPT(...)`:
other packages' names for a field become the field, a close misspelling of a
field is an error naming it, any other unknown keyword moves to `model_kwargs`
with a warning (as LangChain's partner packages do). `client_settings` checks
`base_url` and `timeout` and is what the transport is keyed on, so a change of
a client setting after first use takes effect on the next call. No I/O.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = [
    "ALIASES",
    "check_base_url",
    "check_timeout",
    "endpoint",
    "init_arguments",
    "merge_extra_body",
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
_ENDPOINT = "/chat/completions"


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


def check_base_url(base_url: str) -> str:
    """`base_url` checked, without a trailing `/` or `/chat/completions`.

    The package appends `/chat/completions` itself; a URL that already ends
    with it is corrected, with a warning.

    Raises:
        ValueError: A URL that is not `http://` or `https://` with a host.
    """
    url = base_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base_url {base_url!r} is not an http(s) URL with a host: write it whole, "
            f"e.g. 'https://api.mashagpt.ru/v1'."
        )
    url = url.rstrip("/")
    if url.endswith(_ENDPOINT):
        url = url[: -len(_ENDPOINT)]
        warnings.warn(
            f"base_url {base_url!r} ends with {_ENDPOINT}, which ChatMashaGPT appends itself: "
            f"using {url!r}. Pass that as base_url to silence this warning.",
            UserWarning,
            stacklevel=2,
        )
    return url


def endpoint(base_url: str, query: Mapping[str, str] | None) -> str:
    """The chat completions URL under `base_url`, with `query` as its query string."""
    url = check_base_url(base_url) + _ENDPOINT
    if query:
        url += "?" + urlencode(dict(query))
    return url


def merge_extra_body(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with a per-call `extra_body` mapping merged into it (it wins)."""
    extra = params.pop("extra_body", None)
    if extra:
        if not isinstance(extra, Mapping):
            raise ValueError(f"extra_body must be a mapping of body fields, got {extra!r}.")
        params.update(extra)
    return params
