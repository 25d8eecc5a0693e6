"""The SSE stream, checked on raw bytes."""

from __future__ import annotations

import json
import socket

from langchain_mashagpt.testing import MashaGPTEmulator, Reply, count_tokens
from tests.emulator.helpers import Api, parse_sse

WEATHER = {
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
}


def test_stream_format(api: Api) -> None:
    answer = api.post(stream=True)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert answer.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in answer.headers
    stream = parse_sse(answer.body)
    assert stream.events[-1] == "[DONE]"
    assert stream.comments == [(1, ": keep-alive")]
    chunks = stream.chunks
    assert len({(c["id"], c["created"]) for c in chunks}) == 1
    assert chunks[0]["id"].startswith("chatcmpl-")
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["model"] == "gpt-4o-mini" for c in chunks)
    assert all(set(c) == {"id", "object", "created", "model", "choices"} for c in chunks)
    choices = [c["choices"][0] for c in chunks]
    assert choices[0] == {
        "index": 0,
        "delta": {"role": "assistant", "content": ""},
        "finish_reason": None,
    }
    assert choices[-1] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    pieces = [c["delta"]["content"] for c in choices[1:-1]]
    assert pieces == ["Hello! ", "How ", "can ", "I ", "help ", "you ", "today?"]
    assert all(c["finish_reason"] is None for c in choices[:-1])
    assert stream.text() == "Hello! How can I help you today?"


def test_usage_chunk_only_when_asked(api: Api) -> None:
    plain = parse_sse(api.post(stream=True).body)
    assert all("usage" not in c for c in plain.chunks)
    no = parse_sse(api.post(stream=True, stream_options={"include_usage": False}).body)
    assert all("usage" not in c for c in no.chunks)
    asked = parse_sse(api.post(stream=True, stream_options={"include_usage": True}).body)
    last = asked.chunks[-1]
    assert asked.events[-1] == "[DONE]"
    assert last["choices"] == []
    assert last["id"] == asked.chunks[0]["id"]
    completion = count_tokens("Hello! How can I help you today?")
    assert last["usage"]["completion_tokens"] == completion
    assert last["usage"]["total_tokens"] == last["usage"]["prompt_tokens"] + completion
    assert last["usage"]["total_energy"] == (
        last["usage"]["prompt_energy"] + last["usage"]["completion_energy"]
    )
    assert all("usage" not in c for c in asked.chunks[:-1])


def test_stream_matches_non_stream(api: Api) -> None:
    text = "Explain how rainbows form, in a few words"
    messages = [{"role": "user", "content": text}]
    full = api.post(messages=messages, stream_options=None).json()
    stream = parse_sse(
        api.post(messages=messages, stream=True, stream_options={"include_usage": True}).body
    )
    assert stream.text() == full["choices"][0]["message"]["content"]
    assert stream.chunks[-1]["usage"] == full["usage"]


def test_function_call_streams_in_pieces(api: Api) -> None:
    messages = [{"role": "user", "content": "What is the weather in San Francisco, CA?"}]
    stream = parse_sse(api.post(messages=messages, functions=[WEATHER], stream=True).body)
    deltas = [c["choices"][0]["delta"] for c in stream.chunks]
    assert deltas[0] == {"role": "assistant", "content": None}
    names = [d["function_call"]["name"] for d in deltas if "name" in d.get("function_call", {})]
    assert names == ["get_we", "ather"]
    arguments = [
        d["function_call"]["arguments"] for d in deltas if "arguments" in d.get("function_call", {})
    ]
    assert len(arguments) > 2
    assert stream.call() == ("get_weather", '{"location":"San Francisco, CA"}')
    assert stream.chunks[-1]["choices"][0]["finish_reason"] == "function_call"


def test_n_choices_interleave(api: Api) -> None:
    stream = parse_sse(api.post(stream=True, n=2, stream_options={"include_usage": True}).body)
    indexes = [c["choices"][0]["index"] for c in stream.chunks if c["choices"]]
    assert indexes[:4] == [0, 1, 0, 1]
    assert stream.text(0) == "Hello! How can I help you today?"
    assert stream.text(1) == "Variant 2: Hello! How can I help you today?"
    finishes = [
        c["choices"][0] for c in stream.chunks if c["choices"] and c["choices"][0]["finish_reason"]
    ]
    assert sorted(f["index"] for f in finishes) == [0, 1]
    usage = stream.chunks[-1]["usage"]
    assert usage["completion_tokens"] == count_tokens(stream.text(0)) + count_tokens(stream.text(1))


def test_stop_and_max_tokens_in_streams(api: Api) -> None:
    stream = parse_sse(api.post(stream=True, stop=["you"]).body)
    assert stream.text() == "Hello! How can I help "
    assert stream.chunks[-1]["choices"][0]["finish_reason"] == "stop"
    stream = parse_sse(api.post(stream=True, max_tokens=2).body)
    assert stream.text() == "Hello!"
    assert stream.chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_unicode_is_not_escaped(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.text("Привет, мир! 你好"))
    answer = api.post(stream=True)
    assert "Привет, ".encode() in answer.body
    assert b"\\u" not in answer.body
    assert parse_sse(answer.body).text() == "Привет, мир! 你好"


def _raw_exchange(emu: MashaGPTEmulator, payload: dict[str, object]) -> bytes:
    data = json.dumps(payload).encode()
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: Bearer {emu.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection((emu.host, emu.port), timeout=10) as sock:
        sock.sendall(head + data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_chunked_framing_on_the_wire(emu: MashaGPTEmulator) -> None:
    raw = _raw_exchange(
        emu, {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    )
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding: chunked" in head
    events = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            break
        events.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]
    assert all(e.endswith(b"\n\n") for e in events)  # one SSE event per HTTP chunk
    assert events[1] == b": keep-alive\n\n"
    assert events[-1] == b"data: [DONE]\n\n"


def test_chunked_request_body_and_expect_continue(emu: MashaGPTEmulator) -> None:
    data = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: Bearer {emu.api_key}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)
    with socket.create_connection((emu.host, emu.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert emu.last_request.body["messages"][0]["content"] == "hi"


def test_malformed_http_gets_400(emu: MashaGPTEmulator) -> None:
    with socket.create_connection((emu.host, emu.port), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Malformed HTTP request line" in received
