"""Request parameters: a model's defaults, a call's arguments over them, LangSmith's view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import LangSmithParams

from langchain_mashagpt._convert.answers import PROVIDER

__all__ = ["LLM_TYPE", "call_params", "default_params", "ls_params"]

LLM_TYPE = "mashagpt-chat"
"""`ChatMashaGPT._llm_type`: what LangChain's invocation parameters call it (`_type`)."""

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
