"""The shape checks alone: pure functions over JSON, one difference per deviation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_mashagpt.check._shapes import (
    Difference,
    completion_differences,
    decode_stream,
    error_differences,
    error_message,
    function_call_stream_differences,
    shape,
    stream_differences,
    usage_differences,
)

USAGE = {
    "prompt_tokens": 5,
    "completion_tokens": 2,
    "total_tokens": 7,
    "prompt_energy": 5,
    "completion_energy": 8,
    "total_energy": 13,
}


def completion(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": USAGE,
    }
    body.update(changes)
    return body


def message(**fields: Any) -> dict[str, Any]:
    return completion(choices=[{"index": 0, "message": fields, "finish_reason": "stop"}])


def chunk(choices: list[Any], **extra: Any) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "choices": choices, **extra}


def delta(**fields: Any) -> dict[str, Any]:
    return {"index": 0, "delta": fields, "finish_reason": None}


def fields(found: list[Difference]) -> list[str]:
    return [d.field for d in found]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "boolean true"),
        ({"b": 1, "a": 2}, "object {a, b}"),
        ({f"key{k}": k for k in range(30)}, "object of 30 keys"),
        ([1, 2], "list of 2"),
        ("x" * 100, "str '" + "x" * 58 + "…"),
        (3, "int 3"),
    ],
)
def test_shape_names_the_type_and_small_values(value: Any, expected: str) -> None:
    assert shape(value) == expected


def test_a_documented_completion_has_no_difference() -> None:
    assert completion_differences(completion()) == []
    call = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert completion_differences(message(role="assistant", content=None, function_call=call)) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not an object", "body"),
        (completion(object="text_completion"), "object"),
        (completion(id=7), "id"),
        (completion(created="today"), "created"),
        (completion(choices=[]), "choices"),
        (completion(choices=["text"]), "choices[0]"),
        (
            completion(choices=[{"index": 1, "message": {}, "finish_reason": "stop"}]),
            "choices[0].index",
        ),
        (
            completion(choices=[{"index": 0, "message": {}, "finish_reason": "eos"}]),
            "choices[0].finish_reason",
        ),
        (
            completion(choices=[{"index": 0, "message": "Hi", "finish_reason": "stop"}]),
            "choices[0].message",
        ),
        (message(content=["Hi"]), "choices[0].message.content"),
        (message(content=None, tool_calls=[{"id": "1"}]), "choices[0].message.tool_calls"),
        (message(content=None, function_call="get_weather"), "choices[0].message.function_call"),
        (
            message(content=None, function_call={"name": "", "arguments": "{}"}),
            "choices[0].message.function_call.name",
        ),
        (
            message(content=None, function_call={"name": "f", "arguments": {}}),
            "choices[0].message.function_call.arguments",
        ),
        (completion(usage=None), "usage"),
        (completion(usage={**USAGE, "total_energy": 1.5}), "usage.total_energy"),
        (completion(usage={**USAGE, "total_tokens": True}), "usage.total_tokens"),
    ],
)
def test_each_completion_deviation_names_its_field(body: Any, field: str) -> None:
    assert field in fields(completion_differences(body))


def test_usage_without_any_energy_is_one_difference() -> None:
    tokens = {k: v for k, v in USAGE.items() if "energy" not in k}
    assert usage_differences(tokens) == [
        Difference("usage energy", "prompt_energy/completion_energy/total_energy", "none")
    ]
    assert fields(usage_differences({**USAGE, "prompt_energy": None})) == ["usage.prompt_energy"]
    assert str(usage_differences({**USAGE, "prompt_energy": None})[0]) == (
        "usage.prompt_energy: expected an integer, seen null"
    )


def sse(*events: Any, done: bool = True) -> bytes:
    text = "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


def test_decode_stream_keeps_what_is_not_json() -> None:
    assert decode_stream(sse({"a": 1}, "oops", done=False)) == ([{"a": 1}, "oops"], False)
    assert decode_stream(b": keep-alive\n\n" + sse({"a": 1})) == ([{"a": 1}], True)


DOCUMENTED = [
    chunk([delta(role="assistant", content="")]),
    chunk([delta(content="Hi")]),
    chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
    chunk([], usage=USAGE),
]


def test_a_documented_stream_has_no_difference() -> None:
    assert stream_differences(DOCUMENTED, True, usage=True) == []
    assert stream_differences(DOCUMENTED[:-1], True, usage=False) == []


@pytest.mark.parametrize(
    ("chunks", "done", "field"),
    [
        (DOCUMENTED, False, "stream end"),
        ([], True, "stream"),
        ([*DOCUMENTED[:-1], {**DOCUMENTED[-1], "id": "other"}], True, "chunk ids"),
        (["text", *DOCUMENTED], True, "chunk 1"),
        ([{"error": {"message": "boom"}}, *DOCUMENTED], True, "chunk 1"),
        ([{**DOCUMENTED[0], "object": "chat.completion"}, *DOCUMENTED[1:]], True, "chunk 1.object"),
        ([chunk([{"index": 0, "delta": "Hi"}]), *DOCUMENTED], True, "delta"),
        ([chunk([delta(refusal="no")]), *DOCUMENTED], True, "delta.refusal"),
        ([chunk([delta(function_call="f")]), *DOCUMENTED], True, "delta.function_call"),
        (DOCUMENTED[:-1], True, "usage chunk"),
        ([*DOCUMENTED[:2], chunk(DOCUMENTED[2]["choices"], usage=USAGE)], True, "usage chunk"),
        (
            [*DOCUMENTED[:-1], chunk([], usage={"total_tokens": 3})],
            True,
            "stream usage.prompt_tokens",
        ),
    ],
)
def test_each_stream_deviation_names_its_field(chunks: list[Any], done: bool, field: str) -> None:
    assert field in fields(stream_differences(chunks, done, usage=True))


def test_a_deviation_repeated_on_every_chunk_is_said_once() -> None:
    chunks = [chunk([delta(tool_calls=[{"index": 0}])]) for _ in range(5)]
    assert fields(stream_differences(chunks, True, usage=False)) == ["delta.tool_calls"]


def test_usage_on_the_finishing_chunk_says_where_it_was() -> None:
    chunks = [*DOCUMENTED[:2], chunk(DOCUMENTED[2]["choices"], usage=USAGE)]
    (difference,) = stream_differences(chunks, True, usage=True)
    assert str(difference) == (
        "usage chunk: expected the last chunk, with choices [], seen usage on chunk 3 of 3, "
        "with 1 choice(s)"
    )


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (
            [
                {"name": "get_"},
                {"name": "weather"},
                {"arguments": '{"ci'},
                {"arguments": 'ty": 1}'},
            ],
            [],
        ),
        ([{"name": "get_weather"}], []),
        ([], ["delta.function_call"]),
        ([{"name": "f"}, {"arguments": "{not json"}], ["function_call.arguments"]),
        ([{"name": "f"}, {"arguments": "[1]"}], ["function_call.arguments"]),
    ],
)
def test_a_streamed_function_call_joins_its_pieces(pieces: list[Any], expected: list[str]) -> None:
    chunks: list[Any] = ["junk", *[chunk([delta(function_call=p)]) for p in pieces]]
    assert fields(function_call_stream_differences(chunks)) == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, b'{"error": {"message": "bad", "type": "x", "param": null, "code": null}}', []),
        (
            403,
            b'{"error": {"message": "bad", "type": "x", "param": null, "code": null}}',
            ["status"],
        ),
        (400, b"<html>Bad Request</html>", ["error body"]),
        (400, b'{"detail": "bad"}', ["error body"]),
        (400, b'{"error": "bad"}', ["error body"]),
        (
            400,
            b'{"error": {"message": ""}}',
            ["error.message", "error.type", "error.param", "error.code"],
        ),
    ],
)
def test_error_bodies(status: int, body: bytes, expected: list[str]) -> None:
    assert fields(error_differences(status, body, (400, 422))) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "bad"}}, "bad"),
        ({"error": {"message": None}}, None),
        ({"error": "bad"}, "bad"),
        ({"detail": "bad"}, None),
        ("bad", None),
    ],
)
def test_error_message(body: Any, expected: str | None) -> None:
    assert error_message(body) == expected
