"""The choices of a non-streamed answer, in the order of their `index`. Pure; no I/O.

A server (or a gateway in front of it) may list the choices of `n > 1` in any
order: each says which it is by its `index`. A choice without one is taken to
be at its place in the list. Two choices with one index, or an index that is
not a whole number, make the answer not one to trust: it is refused.
"""

from __future__ import annotations

from typing import Any

from langchain_mashagpt.errors import MAX_SERVER_TEXT, APIResponseValidationError

__all__ = ["ordered"]


def ordered(body: dict[str, Any], raw: bytes) -> dict[str, Any]:
    """`body` with its `choices` sorted by `index` (a missing one: the choice's place).

    Raises:
        APIResponseValidationError: Two choices share an index, or one is not a
            whole number.
    """
    choices = body["choices"]
    if len(choices) < 2:
        return body
    indexes = [_index(choice, place, raw) for place, choice in enumerate(choices)]
    if len(set(indexes)) < len(indexes):
        twice = next(i for i in indexes if indexes.count(i) > 1)
        raise APIResponseValidationError(
            f"MashaGPT's answer has two choices with index {twice}: it cannot be told which "
            "answer is which, so none is returned.",
            body=raw[:MAX_SERVER_TEXT].decode("utf-8", "replace"),
        )
    if indexes != sorted(indexes):
        body["choices"] = [choice for _, choice in sorted(zip(indexes, choices, strict=True))]
    return body


def _index(choice: Any, place: int, raw: bytes) -> int:
    index = choice.get("index") if isinstance(choice, dict) else None
    if index is None:
        return place
    if isinstance(index, bool) or not isinstance(index, int):
        raise APIResponseValidationError(
            f"MashaGPT's choice {place} has index {str(index)[:40]!r}, not a whole number.",
            body=raw[:MAX_SERVER_TEXT].decode("utf-8", "replace"),
        )
    return index
