"""JSON in and out: `dumps` for request bodies, `loads` for answers (orjson when installed)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from langchain_mashagpt._encodable import (
    BODY,
    Unencodable,
    json_number,
    plain_json,
    suspect,
    where,
)

try:
    import orjson
except ModuleNotFoundError:  # pragma: no cover - orjson comes with langsmith on CPython
    orjson = None  # type: ignore[assignment]

__all__ = ["BODY", "dumps", "is_blank", "loads", "loads_exact"]

_LONG_DIGITS = re.compile(r"\d{19}")
"""A run of digits that may be an integer beyond 64 bits (orjson makes those floats)."""


def dumps(obj: Any, what: str = "the value") -> bytes:
    """Serialise `obj` as compact JSON in real UTF-8 (Russian is never escaped).

    An integer beyond 64 bits, which orjson refuses, goes out exact through the
    standard library; numpy's numbers go out as the Python numbers they are.
    What JSON cannot take is refused, naming where it is (`_encodable`): NaN and
    ±Infinity (which orjson would send as `null`), keys that become one
    (`{1: "a", "1": "b"}`), a key that is not text or a number, a set, bytes,
    text with a lone surrogate, a value that contains itself. The fast path is
    orjson, then a search for a `null` that may have been a NaN — in a request
    body, in everything but its messages (the converter's text, where no NaN can
    be), encoded again, as that costs less than searching a long history. Only a
    `null` found is walked for (`_encodable.suspect`); the careful path
    (`_encodable.plain_json`) runs only when orjson fails or the walk finds one.

    Args:
        obj: What to encode.
        what: What it is, for the error (`BODY` for a request body, whose paths
            are told as messages, tools and fields).

    Raises:
        RequestEncodingError: `obj` holds something JSON cannot take.
    """
    skip = "messages" if what == BODY else None  # a body's messages: the converter's text
    if orjson is not None:
        # Keys other than text (`logit_bias`) only when needed: that option is slower.
        for option in (0, orjson.OPT_NON_STR_KEYS):
            try:
                encoded = orjson.dumps(obj, default=json_number, option=option)
            except TypeError:
                continue  # a type JSON cannot take, bad text, a huge integer: below
            if not option and b"null" not in _probe(obj, encoded, skip):
                return encoded  # no NaN became `null`
            if not suspect(obj, skip, keys=bool(option)):
                return encoded
            break
    try:
        return _careful(obj)
    except RecursionError:
        problem = Unencodable((), "it is nested too deeply", "Nest it less deeply.")
    except Unencodable as exc:
        problem = exc
    raise _refused(obj, what, problem)  # outside the handler: no chained exception


def _probe(obj: Any, encoded: bytes, skip: str | None) -> bytes:
    """Where a NaN turned `null` would show: `encoded`, or a body's JSON without its messages.

    Searching a long history's JSON costs more than encoding the rest again.
    """
    if skip is None or not isinstance(obj, dict):
        return encoded
    return orjson.dumps({k: v for k, v in obj.items() if k != skip}, default=json_number)


def _careful(obj: Any) -> bytes:
    """`obj` made plain JSON (or `Unencodable` raised), then encoded."""
    plain = plain_json(obj)
    if orjson is not None:
        try:
            return orjson.dumps(plain)
        except TypeError:
            pass  # an integer beyond 64 bits, or deeper than orjson goes
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()


def _refused(obj: Any, what: str, problem: Unencodable) -> Exception:
    """The error for what `problem` found in `obj`, said where it is."""
    from langchain_mashagpt.errors import RequestEncodingError  # errors imports this module

    place = where(what, obj, problem.path)
    return RequestEncodingError(
        f"{place[:1].upper()}{place[1:]} cannot be sent as JSON: {problem.problem}. "
        f"{problem.fix} Nothing was sent.",
        where=place,
    )


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises `ValueError` on malformed input.

    Without orjson the standard library parses under orjson's rules (`_strict`),
    so what an answer may hold does not depend on what is installed.
    """
    if orjson is not None:
        return orjson.loads(data)
    return _strict(data)


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
    return _strict(text)


def _strict(data: bytes | str) -> Any:
    """The standard library's parse under orjson's rules.

    No `NaN` or `Infinity`, no number too large for a float, no nesting deeper
    than Python can parse: each is a `ValueError`, as orjson's are.
    """
    try:
        return json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        pass  # raised outside the handler: no chained exception
    raise ValueError("JSON nested too deeply to parse")


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
