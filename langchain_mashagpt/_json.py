"""JSON in and out: `dumps` for request bodies, `loads` for answers (orjson when installed)."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ModuleNotFoundError:  # pragma: no cover - orjson comes with langsmith on CPython
    orjson = None  # type: ignore[assignment]

__all__ = ["dumps", "is_blank", "loads"]


def dumps(obj: Any) -> bytes:
    """Serialise `obj` as compact JSON in real UTF-8 (Russian is never escaped)."""
    if orjson is not None:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()  # pragma: no cover


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises `ValueError` on malformed input."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)  # pragma: no cover


def is_blank(text: str) -> bool:
    """Whether `text` is empty or JSON whitespace only (space, tab, LF, CR).

    Blank function-call arguments mean `{}`. Python's `str.strip` would also
    take control characters such as the unit separator for space; JSON does not.
    """
    return not text.strip(" \t\n\r")
