"""Properties of the pure layers, checked with hypothesis (modest example counts).

- The SSE decoder yields the same events however the bytes are cut into reads,
  with LF, CRLF or CR line ends, comments and multi-line data anywhere.
- Messages → wire → LangChain keeps any Unicode text, tool names and arguments
  (through `ChatMashaGPT` on a MockTransport, streamed and not).
- Arbitrary bytes in a stream end in chunks or a `MashaGPTError`, never a hang or
  another exception.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_mashagpt._convert.request import messages_to_wire
from langchain_mashagpt._http.sse import ChunkParser, ServerSentEvent, SSEDecoder
from langchain_mashagpt.errors import MashaGPTError
from tests.helpers import MockServer, completion

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text without line breaks (inside one SSE line) and without lone surrogates.
line_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"))
any_text = st.text(st.characters(blacklist_categories=("Cs",)))


# ---------------------------------------------------------------- SSE decoding


@dataclass
class Event:
    name: str
    data: list[str]
    comments: list[str]
    extra_fields: list[str]


events_strategy = st.lists(
    st.builds(
        Event,
        name=st.sampled_from(["", "message", "error", "ping"]),
        data=st.lists(line_text, max_size=4),
        comments=st.lists(line_text, max_size=2),
        extra_fields=st.lists(
            st.sampled_from(["id: 7", "retry: 100", "id", "unknown: x"]), max_size=2
        ),
    ),
    max_size=8,
)


def render(events: list[Event], newline: bytes, compact: list[bool]) -> bytes:
    lines: list[str] = []
    for k, event in enumerate(events):
        for comment in event.comments:  # comments first, then fields, in any order
            lines.append(f":{comment}")
        if event.name:
            lines.append(f"event: {event.name}")
        lines += event.extra_fields
        for i, value in enumerate(event.data):
            # `data:value` loses a leading space of the value, so only then `data: value`.
            tight = compact[(k + i) % len(compact)] and not value.startswith(" ")
            lines.append(f"data:{value}" if tight else f"data: {value}")
        lines.append("")
    return b"".join(line.encode() + newline for line in lines)


def expected(events: list[Event]) -> list[ServerSentEvent]:
    return [ServerSentEvent(e.name, "\n".join(e.data).encode()) for e in events if e.data]


def decode_in_reads(body: bytes, cuts: list[int]) -> list[ServerSentEvent]:
    decoder, events, start = SSEDecoder(), [], 0
    for cut in sorted(set(cuts)):
        events += decoder.feed(body[start:cut])
        start = cut
    events += decoder.feed(body[start:])
    return events + decoder.close()


@PROPERTY
@given(
    events=events_strategy,
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    compact=st.lists(st.booleans(), min_size=1, max_size=4),
    data=st.data(),
)
def test_every_split_into_reads_gives_the_same_events(
    events: list[Event], newline: bytes, compact: list[bool], data: st.DataObject
) -> None:
    body = render(events, newline, compact)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12), label="cuts")
    assert decode_in_reads(body, cuts) == expected(events)
    assert decode_in_reads(body, list(range(len(body)))) == expected(events)  # byte by byte


# ---------------------------------------------------------------- chunk parsing


def chunk(
    content: str | None = None, call: dict[str, str] | None = None, finish: str | None = None
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if call is not None:
        delta["function_call"] = call
    return {
        "id": "chatcmpl-prop",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def sse_body(chunks: list[dict[str, Any]], newline: bytes = b"\n") -> bytes:
    events = [json.dumps(c, ensure_ascii=False) for c in chunks] + ["[DONE]"]
    return b"".join(f"data: {e}".encode() + newline + newline for e in events)


def pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points)] or [""]


@PROPERTY
@given(
    texts=st.lists(any_text, max_size=6),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    data=st.data(),
)
def test_chunk_parser_returns_every_chunk_once_for_every_split(
    texts: list[str], newline: bytes, data: st.DataObject
) -> None:
    chunks = [chunk(t) for t in texts]
    body = sse_body(chunks, newline)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=10), label="cuts")))
    parser, parsed, start = ChunkParser(), [], 0
    for cut in [*cuts, len(body)]:
        parsed += parser.feed(body[start:cut])
        start = cut
    parsed += parser.close()
    assert parsed == chunks


# ---------------------------------------------------------------- round trips

tool_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,63}", fullmatch=True)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)
tool_args = st.dictionaries(any_text, json_value, max_size=4)


def echo_server(stream: bool, cuts: list[int]) -> MockServer:
    """A server that answers with the last assistant message it was sent, as is."""
    server = MockServer()

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        last = [m for m in body["messages"] if m["role"] == "assistant"][-1]
        text, call = last.get("content") or "", last.get("function_call")
        if not stream:
            reply = completion(text, function_call=call)
            return httpx.Response(200, json=reply)
        chunks = [chunk(piece) for piece in pieces(text, cuts)]
        if call:
            chunks.append(chunk(call={"name": call["name"], "arguments": ""}))
            chunks += [chunk(call={"arguments": p}) for p in pieces(call["arguments"], cuts)]
        chunks.append(chunk(finish="function_call" if call else "stop"))
        return httpx.Response(
            200, content=sse_body(chunks), headers={"content-type": "text/event-stream"}
        )

    return server.reply(answer)


def history(text: str, name: str, args: dict[str, Any]) -> list[Any]:
    return [
        SystemMessage(text),
        HumanMessage(text),
        AIMessage(text, tool_calls=[{"name": name, "args": args, "id": "call_1"}]),
    ]


@PROPERTY
@given(text=any_text, name=tool_name, args=tool_args, cuts=st.lists(st.integers(0, 60), max_size=6))
def test_text_and_tool_calls_survive_the_round_trip(
    text: str, name: str, args: dict[str, Any], cuts: list[int]
) -> None:
    for stream in (False, True):
        model = echo_server(stream, cuts).model()
        if stream:
            chunks = list(model.stream(history(text, name, args)))
            message = chunks[0]
            for more in chunks[1:]:
                message = message + more
        else:
            message = model.invoke(history(text, name, args))
        assert message.content == text
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [(name, args)]
        assert message.invalid_tool_calls == []


@PROPERTY
@given(text=any_text, cuts=st.lists(st.integers(0, 60), max_size=6))
def test_async_round_trip_keeps_the_text(text: str, cuts: list[int]) -> None:
    async def both() -> tuple[str, str]:
        invoked = (
            await echo_server(False, cuts).model().ainvoke([HumanMessage("q"), AIMessage(text)])
        )
        streamed = [c async for c in echo_server(True, cuts).model().astream([AIMessage(text)])]
        return str(invoked.content), "".join(c.text for c in streamed)

    assert asyncio.run(both()) == (text, text)


@PROPERTY
@given(
    text=any_text,
    calls=st.lists(st.tuples(tool_name, tool_args), min_size=1, max_size=4),
)
def test_several_tool_calls_go_out_in_order_with_their_results(
    text: str, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    ai = AIMessage(
        text,
        tool_calls=[{"name": n, "args": a, "id": f"call_{i}"} for i, (n, a) in enumerate(calls)],
    )
    results = [
        ToolMessage(f"result {i}: {text}", tool_call_id=f"call_{i}") for i in range(len(calls))
    ]
    wire = messages_to_wire([HumanMessage(text), ai, *results])
    assert wire[0] == {"role": "user", "content": text}
    sent = wire[1:]
    assert len(sent) == 2 * len(calls)
    for i, (name, args) in enumerate(calls):
        call_message, result = sent[2 * i], sent[2 * i + 1]
        assert call_message["function_call"]["name"] == name
        assert json.loads(call_message["function_call"]["arguments"]) == args
        assert call_message["content"] == (text or None if i == 0 else None)
        assert result == {"role": "function", "name": name, "content": f"result {i}: {text}"}


# ---------------------------------------------------------------- arbitrary bytes

sse_ish = st.lists(
    st.sampled_from(
        [
            b"data: ",
            b"data:",
            b"\n",
            b"\r",
            b"\r\n",
            b"[DONE]",
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b'"choices"',
            b'"error"',
            b'"delta"',
            b'"content"',
            b'"x"',
            b",",
            b"event: error",
            b": keep-alive",
            b"\xff",
            b"\xd0",
            b"null",
            b"1",
        ]
    )
    | st.binary(max_size=6),
    max_size=40,
).map(b"".join)


@PROPERTY
@given(body=sse_ish | st.binary(max_size=200), data=st.data())
def test_arbitrary_bytes_end_in_chunks_or_a_clear_error(body: bytes, data: st.DataObject) -> None:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=6), label="cuts")))
    parser, start = ChunkParser(), 0
    try:
        for cut in [*cuts, len(body)]:
            for parsed in parser.feed(body[start:cut]):
                assert isinstance(parsed, dict)
                assert isinstance(parsed["choices"], list)
            start = cut
        parser.close()
    except MashaGPTError:
        return
    assert parser.done  # it ended well only if `[DONE]` came


@PROPERTY
@given(body=sse_ish)
def test_arbitrary_stream_bodies_through_the_model_end_in_a_value_or_a_clear_error(
    body: bytes,
) -> None:
    server = MockServer().sse(body)
    failure: Exception | None = None
    try:
        chunks = list(server.model(max_retries=0).stream("Hello"))
    except MashaGPTError:
        return
    except ValueError as exc:
        failure = exc
    if failure is not None:  # langchain-core's, for a stream with no chunk at all
        assert "No generation chunks" in str(failure)
        return
    assert b"[DONE]" in body
    assert all(isinstance(c.text, str) for c in chunks)
