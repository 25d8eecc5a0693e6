"""The choices of a non-streamed answer: read within `n`, in the order of their `index`. Pure.

`load_completion` parses a body. orjson parses all of it at once, and a body of
300,000 empty choices within the 64 MiB cap costs ten times its size in Python
objects before they can be counted. So a large body with many separators (more
than `CAREFUL_ABOVE` bytes and `MANY_COMMAS` commas, counted in C) is parsed
field by field with the standard library's scanner, and its `choices` one by
one: the first choice beyond the `n` asked for stops the parse. Memory stays
within a few times the body, whatever its choices.

A server (or a gateway in front of it) may list the choices of `n > 1` in any
order: each says which it is by its `index`. `ordered` sorts them; a choice
without one is taken to be at its place in the list. Two choices with one
index, or an index that is not a whole number, make the answer not one to
trust: it is refused.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from langchain_mashagpt._json import loads
from langchain_mashagpt.errors import MAX_SERVER_TEXT, APIResponseValidationError

__all__ = ["CAREFUL_ABOVE", "MANY_COMMAS", "load_completion", "ordered"]

CAREFUL_ABOVE = 1024 * 1024
"""A body up to this many bytes is parsed at once: its objects cannot cost much."""
MANY_COMMAS = 10_000
"""A larger body with fewer commas than this has too few values to cost much."""
_WS = re.compile(r"[ \t\n\r]*")


def load_completion(content: bytes, n: int) -> Any:
    """A non-streamed answer's JSON, its `choices` read no further than `n`.

    Raises:
        ValueError: Not JSON (under orjson's rules: no NaN or Infinity).
        APIResponseValidationError: More choices than `n`.
    """
    if len(content) <= CAREFUL_ABOVE or content.count(b",") < MANY_COMMAS:
        return loads(content)
    text = content.decode()  # bad UTF-8: a ValueError, as orjson's
    i = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", i):
        return loads(content)  # not an object: no choices to count
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    try:
        body, i = _object(text, i, decoder, n, content)
    except IndexError:
        raise ValueError("the JSON ends too early") from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    if _WS.match(text, i).end() != len(text):  # type: ignore[union-attr]
        raise ValueError("extra data after the JSON")
    return body


def _object(
    text: str, i: int, decoder: json.JSONDecoder, n: int, raw: bytes
) -> tuple[dict[str, Any], int]:
    """The top-level object from `text[i] == "{"`, its `choices` bounded; and where it ends."""
    ws = _WS.match
    body: dict[str, Any] = {}
    i = ws(text, i + 1).end()  # type: ignore[union-attr]
    if text[i] == "}":
        return body, i + 1
    while True:
        if text[i] != '"':
            raise ValueError(f"a key was expected at character {i}")
        key, i = scanstring(text, i + 1)
        i = ws(text, i).end()  # type: ignore[union-attr]
        if text[i] != ":":
            raise ValueError(f"':' was expected at character {i}")
        i = ws(text, i + 1).end()  # type: ignore[union-attr]
        if key == "choices" and text[i] == "[":
            body[key], i = _choices(text, i, decoder, n, raw)
        else:
            body[key], i = decoder.raw_decode(text, i)
        ended, i = _after_item(text, i, "}")
        if ended:
            return body, i


def _choices(
    text: str, i: int, decoder: json.JSONDecoder, n: int, raw: bytes
) -> tuple[list[Any], int]:
    """The `choices` array from `text[i] == "["`, refused at its choice number `n + 1`."""
    ws = _WS.match
    choices: list[Any] = []
    i = ws(text, i + 1).end()  # type: ignore[union-attr]
    if text[i] == "]":
        return choices, i + 1
    while True:
        if len(choices) == n:
            raise APIResponseValidationError(
                f"MashaGPT's answer has more than the n={n} choice(s) asked for, so reading "
                "stopped there: it is not the answer to this request.",
                body=raw[:MAX_SERVER_TEXT].decode("utf-8", "replace"),
            )
        choice, i = decoder.raw_decode(text, i)
        choices.append(choice)
        ended, i = _after_item(text, i, "]")
        if ended:
            return choices, i


def _after_item(text: str, i: int, close: str) -> tuple[bool, int]:
    """After a member or an element: whether `close` ends its container, and where to go on.

    Raises:
        ValueError: Neither `,` nor `close` follows.
    """
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    if text[i] == close:
        return True, i + 1
    if text[i] != ",":
        raise ValueError(f"',' or '{close}' was expected at character {i}")
    return False, _WS.match(text, i + 1).end()  # type: ignore[union-attr]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


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
