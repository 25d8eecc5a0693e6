"""Usage you can bill on: the API's `usage` object checked, and LangChain's token counts. Pure.

Every token and energy count (a key ending in `_tokens` or `_energy`, also in
`*_tokens_details`) must be a whole number from 0 to `MAX_COUNT`. A numeric
string (`"12"`) or a whole float (`12.0`) is taken as that number; anything else
(negative, fractional, a boolean, absurdly large, not a number) raises
`APIResponseValidationError` naming the field: a count that cannot be trusted
must not be added to a bill or a budget. A missing `total_tokens` is the sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata

from langchain_mashagpt.errors import APIResponseValidationError

__all__ = ["ENERGY_KEYS", "MAX_COUNT", "checked_usage", "usage_metadata"]

ENERGY_KEYS = ("prompt_energy", "completion_energy", "total_energy")
"""MashaGPT's energy counts in a `usage` object, beside the token counts."""

MAX_COUNT = 10**12
"""The largest count believed: more tokens than any request can hold."""
_COUNTS = ("_tokens", "_energy")
_INPUT_DETAILS = {"cached_tokens": "cache_read", "audio_tokens": "audio"}
_OUTPUT_DETAILS = {"reasoning_tokens": "reasoning", "audio_tokens": "audio"}


def _count(name: str, value: Any) -> int:
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip()) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            number = None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= MAX_COUNT:
        return number
    raise APIResponseValidationError(
        f"MashaGPT's usage has {name}={str(value)[:40]!r}, not a whole number from 0 to "
        f"{MAX_COUNT}: the answer's cost cannot be trusted, so it is not returned.",
        body={"usage": {name: str(value)[:40]}},
    )


def checked_usage(usage: Any) -> dict[str, Any]:
    """The `usage` object with every count checked and made an `int`.

    Raises:
        APIResponseValidationError: `usage` is not an object, or a count is bad.
    """
    if not isinstance(usage, Mapping):
        raise APIResponseValidationError(
            f"MashaGPT's usage is {type(usage).__name__}, not an object.",
            body={"usage": str(usage)[:200]},
        )
    checked = dict(usage)
    for key, value in usage.items():
        if value is None:
            continue
        if key.endswith(_COUNTS):
            checked[key] = _count(key, value)
        elif key.endswith("_tokens_details") and isinstance(value, Mapping):
            checked[key] = {
                k: _count(f"{key}.{k}", v) if k.endswith(_COUNTS) and v is not None else v
                for k, v in value.items()
            }
    return checked


def usage_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    """LangChain's token counts from a checked `usage` object, with their details."""
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    metadata = UsageMetadata(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=usage.get("total_tokens") or prompt + completion,
    )
    inputs = _details(usage.get("prompt_tokens_details"), _INPUT_DETAILS)
    if inputs:
        metadata["input_token_details"] = InputTokenDetails(**inputs)  # type: ignore[typeddict-item]
    outputs = _details(usage.get("completion_tokens_details"), _OUTPUT_DETAILS)
    if outputs:
        metadata["output_token_details"] = OutputTokenDetails(**outputs)  # type: ignore[typeddict-item]
    return metadata


def _details(details: Any, names: Mapping[str, str]) -> dict[str, int]:
    if not isinstance(details, Mapping):
        return {}
    return {names[k]: v for k, v in details.items() if k in names and isinstance(v, int)}
