"""`_encodable` and `_http.completion`, the pure rooms behind `dumps` and `parse_completion`, case by case."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import uuid
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from langchain_mashagpt import APIResponseValidationError, RequestEncodingError
from langchain_mashagpt._encodable import BODY, MAX_DEPTH, json_number, plain_number, where
from langchain_mashagpt._http.completion import CAREFUL_ABOVE, load_completion
from langchain_mashagpt._json import dumps


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (np.bool_(True), True),
        (np.int16(-4), -4),
        (np.float32(0.25), 0.25),
        (Fraction(1, 4), 0.25),
        (Level.HIGH, 3),
        (True, True),
        ("text", "text"),
        (None, None),
    ],
)
def test_numbers_of_other_libraries_become_pythons(value: Any, plain: Any) -> None:
    converted = plain_number(value)
    assert converted == plain
    assert type(converted) is type(plain)


def test_json_number_refuses_what_is_no_number() -> None:
    with pytest.raises(TypeError, match="object"):
        json_number(object())
    assert plain_number(marker := object()) is marker


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ({None: 1, 1.5: 2, True: 3, np.int64(7): 4}, {"null": 1, "1.5": 2, "true": 3, "7": 4}),
        (
            {"when": datetime.date(2026, 1, 2), 3: "x"},
            {"when": "2026-01-02", "3": "x"},
        ),  # orjson's own types
        ({"n": 2**70, "k": {5: np.float64(0.5)}}, {"n": 2**70, "k": {"5": 0.5}}),
    ],
    ids=["key-types", "orjson-types", "huge-int"],
)
def test_what_json_can_take_goes_out_as_plain_json(value: dict[Any, Any], sent: Any) -> None:
    assert json.loads(dumps(value)) == sent


def test_nesting_between_orjsons_limit_and_ours_goes_out_through_the_standard_library() -> None:
    value: Any = 1
    for _ in range(300):  # orjson stops at 255
        value = [value]
    assert dumps(value) == b"[" * 300 + b"1" + b"]" * 300


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ({"k": {float("nan"): 1}}, "the key nan is not a JSON number"),
        ({"k": {"bad\udfff": 1}}, "the key has a lone surrogate"),
        ({"k": {frozenset(): 1}}, "the key frozenset() is a frozenset"),
        ({"k": [object()]}, "object is not a JSON type"),
        ({"k": bytearray(b"x")}, "bytes.decode()"),
    ],
)
def test_what_json_cannot_take_is_named(value: Any, said: str) -> None:
    with pytest.raises(RequestEncodingError, match=said.replace("(", r"\(").replace(")", r"\)")):
        dumps(value)


def test_nesting_beyond_the_limit_is_refused_not_a_recursion_error() -> None:
    value: Any = 1
    for _ in range(MAX_DEPTH + 10):
        value = {"a": value}
    with pytest.raises(RequestEncodingError, match="nested"):
        dumps(value)


@pytest.mark.parametrize(
    ("root", "path", "said"),
    [
        (
            {"messages": [{"role": "user"}]},
            ("messages", 0, "content"),
            "message 0 (user), its text",
        ),
        (
            {"messages": [{"role": "user"}]},
            ("messages", 0, "other", 1),
            "message 0 (user) at ['other'][1]",
        ),
        (
            {"functions": [{"name": "f"}]},
            ("functions", 0, "parameters"),
            "tool 'f' (functions[0]) at ['parameters']",
        ),
        ({"messages": "not a list"}, ("messages", 0), "the body field 'messages'"),
        ([1], (0,), "the request body at [0]"),
    ],
)
def test_where_tells_a_body_path_in_words(root: Any, path: tuple[Any, ...], said: str) -> None:
    assert where(BODY, root, path).startswith(said)


@pytest.mark.parametrize(
    "content",
    [
        b'{"choices": [' + b"{}," * 20_000 + b'{}], "x" 1}',
        b'{"choices": [' + b"{}," * 20_000 + b"{}; 1}",
        b'{"choices": [' + b"{} {}," * 20_000 + b"{}]}",
        b"{choices: [" + b"{}," * 20_000 + b"{}]}",
        b'{"choices": [' + b"{}," * 20_000,
        b'{"choices": [' + b"[" * 100_000 + b"{}," * 20_000 + b"]}",
    ],
    ids=["no-colon", "bad-separator", "bad-choice-separator", "bare-key", "cut", "too-deep"],
)
def test_the_careful_parse_refuses_malformed_json(content: bytes) -> None:
    content += b" " * CAREFUL_ABOVE
    with pytest.raises(ValueError):  # noqa: PT011 - parse_completion words it
        load_completion(content, 30_000)


def test_the_careful_parse_reads_what_orjson_reads() -> None:
    pad = "a, " * (CAREFUL_ABOVE // 3 + 10_000)  # over the size, with many commas
    bodies: list[dict[str, Any]] = [
        {"pad": pad},
        {"choices": [], "pad": pad},
        {"choices": [{"index": 0, "text": pad}], "usage": {"n": 2**70}, "e": {}, "l": []},
    ]
    for body in bodies:
        content = json.dumps(body, indent=1).encode()
        assert load_completion(content, 1) == body
    assert load_completion(b"[" + pad.encode().replace(b"a", b"1")[:-2] + b"]", 1)[0] == 1
    with pytest.raises(APIResponseValidationError, match="more than the n=1"):
        load_completion(json.dumps({"choices": [{}, {}], "pad": pad}).encode(), 1)


class _Colour(enum.Enum):
    RED = "red"


class _Size(enum.IntEnum):
    BIG = 3


@dataclasses.dataclass
class _Booking:
    city: str
    when: datetime.date
    colour: _Colour


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (datetime.date(2026, 1, 2), b'"2026-01-02"'),
        (datetime.datetime(2026, 1, 2, 3, 4, 5), b'"2026-01-02T03:04:05"'),
        (
            datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
            b'"2026-01-02T03:04:05.000006+00:00"',
        ),
        (datetime.time(3, 4, 5), b'"03:04:05"'),
        (uuid.UUID(int=1), b'"00000000-0000-0000-0000-000000000001"'),
        ([_Colour.RED, _Size.BIG], b'["red",3]'),
        (
            _Booking("Москва", datetime.date(2026, 1, 2), _Colour.RED),
            '{"city":"Москва","when":"2026-01-02","colour":"red"}'.encode(),
        ),
    ],
    ids=["date", "datetime", "datetime-utc", "time", "uuid", "enums", "dataclass"],
)
def test_orjsons_own_types_go_out_the_same_with_or_without_orjson(value: Any, sent: bytes) -> None:
    """`make compat-test` runs this without orjson: the bytes are orjson's either way."""
    assert dumps(value) == sent
