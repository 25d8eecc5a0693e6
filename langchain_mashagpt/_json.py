"""JSON in and out: `dumps` for request bodies, `loads` for answers (orjson when installed)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

try:
    import orjson
except ModuleNotFoundError:  # pragma: no cover - orjson comes with langsmith on CPython
    orjson = None  # type: ignore[assignment]

__all__ = ["dumps", "is_blank", "loads", "loads_exact"]

_LONG_DIGITS = re.compile(r"\d{19}")
"""A run of digits that may be an integer beyond 64 bits (orjson makes those floats)."""


def dumps(obj: Any) -> bytes:
    """Serialise `obj` as compact JSON in real UTF-8 (Russian is never escaped).

    An integer beyond 64 bits, which orjson refuses, goes out exact through the
    standard library (NaN there is an error, not invalid JSON).
    """
    if orjson is not None:
        try:
            return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            pass  # an integer beyond 64 bits, or a type JSON cannot take: the error below
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises `ValueError` on malformed input."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)  # pragma: no cover


def loads_exact(text: str) -> Any:
    """Parse JSON keeping every integer exact, for a function call's arguments.

    orjson turns an integer beyond 64 bits into a float, silently (a tool's id of
    2**64 would arrive rounded). Text with a run of 19 or more digits is parsed by
    the standard library instead, under orjson's rules: no `NaN` or `Infinity`,
    no number too large for a float, no nesting deeper than Python can parse.

    Raises:
        ValueError: Malformed JSON, under those rules.
    """
    if orjson is None or _LONG_DIGITS.search(text) is None:
        return loads(text)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is too large for a float")
    return value


def is_blank(text: str) -> bool:
    """Whether `text` is empty or JSON whitespace only (space, tab, LF, CR).

    Blank function-call arguments mean `{}`. Python's `str.strip` would also
    take control characters such as the unit separator for space; JSON does not.
    """
    return not text.strip(" \t\n\r")
