"""What JSON cannot take, found and named: the careful path of `_json.dumps`. Pure; no I/O.

orjson encodes a request at once, but it refuses some values with a bare
`TypeError` (a set, bytes, a tuple key, text with a lone surrogate, a value
that contains itself) and turns others silently into something else (NaN and
±Infinity into `null`, `{1: "a", "1": "b"}` into one key twice). `plain_json`
walks a value only when orjson failed, or when its output has a `null` that
could have been a NaN; it returns the value as plain JSON types (numpy's numbers
made Python's, keys made text) or raises `Unencodable` with the path of the
first thing wrong, what is wrong and what to do. `where` turns that path into
words: for a request body, the message (its index in the input and its role),
the tool, or the body field.

Numbers of other libraries (numpy's `float32`, `int64`, `bool_`) are taken as
the Python numbers they are (`plain_number`), through `numbers` and
`operator.index`: numpy is never imported. The types orjson encodes itself (a
date or time, a UUID, an enum, a dataclass) go out as orjson writes them also
when orjson is not installed (`orjson_native`), so a body never depends on it.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import numbers
import operator
import uuid
from collections.abc import Iterable
from typing import Any

try:
    import orjson
except ModuleNotFoundError:  # pragma: no cover - orjson comes with langsmith on CPython
    orjson = None  # type: ignore[assignment]

__all__ = [
    "BODY",
    "MAX_DEPTH",
    "Messages",
    "Unencodable",
    "json_number",
    "plain_json",
    "plain_number",
    "suspect",
    "where",
]

BODY = "the request body"
"""The `what` of a request body: its paths are told as messages, tools and fields."""
MAX_DEPTH = 500
"""The deepest nesting encoded (the standard library's encoder recurses)."""

Path = tuple[str | int, ...]


class Messages(list[Any]):
    """The request's `messages`, knowing for each the index of the input message it came from.

    An AI message with several tool calls becomes several wire messages, so a
    wire index is not the caller's; errors name the caller's (`origins`).
    """

    origins: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.origins = []

    def add(self, message: Any, origin: int) -> None:
        """Append `message`, which came from input message number `origin`."""
        self.append(message)
        self.origins.append(origin)


class Unencodable(Exception):
    """The first value JSON cannot take: its `path`, what is wrong, and what to do."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        super().__init__(path, problem, fix)
        self.path = path
        self.problem = problem
        self.fix = fix


_NAN = (
    "JSON has no NaN or Infinity (sending it as null would change the value). "
    "Send a finite number, None, or a string such as 'NaN'."
)
_TEXT = (
    "UTF-8 cannot encode it (text cut apart inside a UTF-16 pair, or decoded with "
    "errors='surrogateescape'). Repair the text, e.g. "
    "text.encode('utf-8', 'replace').decode('utf-8')."
)
_FIXES = {
    "set": "Send a list instead, e.g. sorted(the_set).",
    "frozenset": "Send a list instead, e.g. sorted(the_set).",
    "bytes": "Send text instead: bytes.decode() for text, base64 for binary data.",
    "bytearray": "Send text instead: bytes.decode() for text, base64 for binary data.",
}


def plain_number(value: Any) -> Any:
    """`value` as a Python `int`, `float` or `bool` if it is another library's number; else as is.

    numpy's integers become `int` (`operator.index`), its floats `float`, its
    `bool_` `bool`. A `bool`, `int`, `float` or anything that is not a number is
    returned unchanged.
    """
    kind = type(value)
    if kind is int or kind is float or kind is bool or kind is str or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return operator.index(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"):
        return bool(value)
    return value


def json_number(value: Any) -> Any:
    """The `default` of orjson: another library's number as Python's; else `TypeError`."""
    number = plain_number(value)
    if number is value:
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
    return number


def suspect(value: Any, skip: str | None = None, *, keys: bool = True) -> bool:
    """Whether orjson's output of `value` may not mean `value` (a dict's key `skip` left out).

    For a value orjson has encoded (so without cycles or types it refuses): a
    NaN or ±Infinity, which it writes as `null`, or a dict whose keys become the
    same JSON key (`{1: "a", "1": "b"}`). No paths are kept: `plain_json` says
    where, once this found something. `keys=False`: every key is text (no
    collision can be).
    """
    stack: list[Iterable[Any]] = [(value,)]
    if isinstance(value, dict) and skip is not None:
        stack = [(v for k, v in value.items() if k != skip)]
    while stack:
        for item in stack.pop():
            kind = type(item)
            if kind is str or kind is int or kind is bool or item is None:
                continue
            if isinstance(item, dict):
                if keys and not all(type(k) is str for k in item) and _keys_collide(item):
                    return True
                stack.append(item.values())
            elif isinstance(item, list | tuple):
                stack.append(item)
            elif isinstance(item, numbers.Real) and not math.isfinite(float(item)):
                return True
    return False


def _keys_collide(value: dict[Any, Any]) -> bool:
    try:
        return len({_key(k, ()) for k in value}) < len(value)
    except Unencodable:
        return True


def plain_json(value: Any) -> Any:
    """`value` in plain JSON types: keys as text, numbers as Python's.

    Raises:
        Unencodable: The first value JSON cannot take, and where it is.
    """
    try:
        return _plain(value, (), set())
    except RecursionError:
        raise Unencodable((), "it is nested too deeply", "Send it less deeply nested.") from None


def _plain(value: Any, path: Path, active: set[int]) -> Any:
    kind = type(value)
    if kind is str:
        return _text(value, path)
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise Unencodable(path, f"{value!r} is not a JSON number", _NAN)
        return value
    if isinstance(value, dict | list | tuple):
        if len(path) >= MAX_DEPTH:
            raise Unencodable(
                path, f"it is nested more than {MAX_DEPTH} levels deep", "Nest it less deeply."
            )
        if id(value) in active:
            raise Unencodable(
                path,
                "it contains itself (a circular reference), which JSON cannot hold",
                "Send a copy without the loop (a recursive JSON schema refers to "
                "itself with '$ref', not by holding itself).",
            )
        active.add(id(value))
        try:
            if isinstance(value, dict):
                return _object(value, path, active)
            return [_plain(item, (*path, i), active) for i, item in enumerate(value)]
        finally:
            active.discard(id(value))
    if isinstance(value, str):
        return _text(value, path)
    number = plain_number(value)
    if number is not value:
        return _plain(number, path, active)
    if orjson is not None:
        try:
            orjson.dumps(value)  # a date, a UUID, an enum, a dataclass: orjson's own types
        except TypeError:
            pass
        else:
            return value
    elif (native := orjson_native(value)) is not _NOT_NATIVE:
        return _plain(native, path, active)
    name = kind.__name__
    raise Unencodable(
        path,
        f"{name} is not a JSON type",
        _FIXES.get(name, "Convert it to text, a number, a list or a dict first."),
    )


def _object(value: dict[Any, Any], path: Path, active: set[int]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    given: dict[str, Any] = {}  # the original key of each JSON key
    for key, item in value.items():
        text = _key(key, path)
        if text in plain:
            raise Unencodable(
                path,
                f"the keys {given[text]!r} and {key!r} both become the JSON key {text!r}",
                "Keep one of them: a JSON object has each key once.",
            )
        given[text] = key
        plain[text] = _plain(item, (*path, text), active)
    return plain


def _key(key: Any, path: Path) -> str:
    """A dict key as the JSON text orjson's `OPT_NON_STR_KEYS` would make of it."""
    if isinstance(key, str):
        return _text(key, path, key=True)
    if key is None or isinstance(key, bool):
        return {None: "null", True: "true", False: "false"}[key]
    number = plain_number(key)
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float):
        if not math.isfinite(number):
            raise Unencodable(path, f"the key {key!r} is not a JSON number", _NAN)
        return repr(number)
    raise Unencodable(
        path,
        f"the key {key!r} is a {type(key).__name__}, and JSON keys are text",
        "Use a string key instead (for a tuple, e.g. ','.join(map(str, key))).",
    )


def _text(text: str, path: Path, *, key: bool = False) -> str:
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            what = "key" if key else "text"
            raise Unencodable(
                path,
                f"the {what} has a lone surrogate {text[exc.start]!r} at character {exc.start}",
                _TEXT,
            ) from None
    return str(text)


_PARTS = {"content": "its text", "name": "its name", "function_call": "its function call"}


def where(what: str, root: Any, path: Path) -> str:
    """Where `path` is, in words: in `what`; in a request body, its message, tool or field."""
    if what != BODY or not path or not isinstance(root, dict):
        return f"{what}{_at(path)}"
    head, rest = path[0], path[1:]
    listed = root.get(head)
    if head in ("messages", "functions") and rest and isinstance(listed, list):
        index = rest[0]
        entry = listed[index] if isinstance(index, int) and index < len(listed) else {}
        entry = entry if isinstance(entry, dict) else {}
        if head == "functions":
            return f"tool {entry.get('name')!r} (functions[{index}]){_at(rest[1:])}"
        origins = getattr(listed, "origins", None)
        number = origins[index] if origins is not None else index
        said = f"message {number} ({entry.get('role', '?')})"
        if len(rest) > 1 and rest[1] in _PARTS:
            return f"{said}, {_PARTS[str(rest[1])]}{_at(rest[2:])}"
        return f"{said}{_at(rest[1:])}"
    return (
        f"the body field {head!r} (from model_kwargs, extra_body or a call's keyword "
        f"argument){_at(rest)}"
    )


def _at(path: Path) -> str:
    return f" at {''.join(f'[{p!r}]' for p in path)}" if path else ""


_NOT_NATIVE: Any = object()


def orjson_native(value: Any) -> Any:
    """What orjson writes for one of its own types, as plain values; else `_NOT_NATIVE`.

    The standard library's path when orjson is not installed: a `datetime`,
    `date` or `time` as its ISO 8601 text (orjson refuses a time with a time
    zone, and so does this), a `UUID` as its text, an enum as its value, a
    dataclass instance as a dict of its fields in order.
    """
    if isinstance(value, datetime.time) and value.utcoffset() is not None:
        return _NOT_NATIVE
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return _NOT_NATIVE
