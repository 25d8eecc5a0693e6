"""A griffe extension for the API reference: show a constant default as its value.

`retry_backoff: float = INITIAL_BACKOFF` tells a reader nothing they can use; the reference
shows `= 0.5` instead. The source keeps naming the constant, so the value has one owner. Only
UPPER_CASE names bound at import time to a number, string, bool or None are replaced.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import griffe

_CONSTANT = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_LITERALS = (bool, int, float, str, type(None))


def _literal(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:_}"
    return repr(value)


class ConstantValues(griffe.Extension):
    """Replace constant names in attribute values with the constants' values."""

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        """Rewrite `attr.value` when it names module constants."""
        if attr.value is None:
            return
        text = str(attr.value)
        if not _CONSTANT.search(text) or _CONSTANT.fullmatch(attr.name):
            return
        module = importlib.import_module(attr.module.path)

        def value_of(match: re.Match[str]) -> str:
            value = getattr(module, match.group(0), match)
            return _literal(value) if isinstance(value, _LITERALS) else match.group(0)

        attr.value = _CONSTANT.sub(value_of, text)
