"""Scripted replies: every kind, for `stream: false` and `stream: true`."""

from __future__ import annotations

import http.client
import json

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.emulator.helpers import Api, parse_sse


@pytest.mark.parametrize("stream", [False, True])
def test_text_reply(emu: MashaGPTEmulator, api: Api, stream: bool) -> None:
    emu.enqueue(Reply.text("Scripted answer, in pieces."))
    answer = api.post(stream=stream)
    assert answer.status == 200
    if stream:
        parsed = parse_sse(answer.body)
        assert parsed.text() == "Scripted answer, in pieces."
        assert len(parsed.chunks) == 6  # role, 4 words, finish
    else:
        assert answer.json()["choices"][0]["message"]["content"] == "Scripted answer, in pieces."


@pytest.mark.parametrize("stream", [False, True])
def test_function_call_reply_sent_verbatim(emu: MashaGPTEmulator, api: Api, stream: bool) -> None:
    emu.enqueue(Reply.function_call("lookup", '{"query": "not closed'))
    answer = api.post(stream=stream)
    if stream:
        parsed = parse_sse(answer.body)
        assert parsed.call() == ("lookup", '{"query": "not closed')
        assert parsed.chunks[-1]["choices"][0]["finish_reason"] == "function_call"
    else:
        choice = answer.json()["choices"][0]
        assert choice["message"] == {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "lookup", "arguments": '{"query": "not closed'},
        }
        assert choice["finish_reason"] == "function_call"


def test_replies_are_consumed_in_order_then_the_model(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.text("one"), Reply.text("two"))
    emu.extend([Reply.model()])
    assert emu.pending_replies == 3
    contents = [api.post().json()["choices"][0]["message"]["content"] for _ in range(4)]
    assert contents == ["one", "two", *["Hello! How can I help you today?"] * 2]
    assert emu.pending_replies == 0


def test_reset_forgets_requests_and_replies(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.text("never"))
    api.request(
        body := {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}, auth=None
    )
    assert emu.requests[0].body == body
    emu.reset()
    assert emu.requests == []
    assert emu.pending_replies == 0
    with pytest.raises(LookupError):
        _ = emu.last_request


@pytest.mark.parametrize("stream", [False, True])
def test_http_error(emu: MashaGPTEmulator, api: Api, stream: bool) -> None:
    emu.enqueue(Reply.http_error(503, "Upstream overloaded", headers={"Retry-After": "0"}))
    answer = api.post(stream=stream)
    assert answer.status == 503
    assert answer.headers["retry-after"] == "0"
    assert answer.json() == {
        "error": {
            "message": "Upstream overloaded",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }


@pytest.mark.parametrize(
    ("status", "type_", "code"),
    [
        (400, "invalid_request_error", None),
        (401, "invalid_request_error", "invalid_api_key"),
        (402, "insufficient_quota", "insufficient_quota"),
        (403, "permission_error", None),
        (404, "not_found_error", None),
        (429, "rate_limit_error", "rate_limit_exceeded"),
        (500, "server_error", None),
        (502, "server_error", None),
        (504, "server_error", None),
    ],
)
def test_http_error_defaults(
    emu: MashaGPTEmulator, api: Api, status: int, type_: str, code: str | None
) -> None:
    emu.enqueue(Reply.http_error(status))
    answer = api.post()
    assert answer.status == status
    assert (answer.error["type"], answer.error["code"]) == (type_, code)
    assert answer.error["message"]


def test_rate_limit_headers(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.rate_limit(retry_after=0, retry_after_ms=10), Reply.rate_limit())
    first = api.post()
    assert first.status == 429
    assert (first.headers["retry-after"], first.headers["retry-after-ms"]) == ("0", "10")
    second = api.post()
    assert second.status == 429
    assert "retry-after" not in second.headers


def test_http_error_with_an_html_page(emu: MashaGPTEmulator, api: Api) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.enqueue(Reply.http_error(502, body=page))
    answer = api.post(stream=True)
    assert answer.status == 502
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.body == page.encode()


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, b"<html>maintenance</html>", "text/html"),
        (200, b'{"id": "chatcmpl-1", "choi', "application/json"),
        (200, b"", "application/json"),
        (200, b'{"unexpected": true}', "application/json"),
        (529, b"overloaded", "text/plain"),
    ],
)
def test_raw_reply(
    emu: MashaGPTEmulator, api: Api, status: int, body: bytes, content_type: str
) -> None:
    emu.enqueue(Reply.raw(status, body, content_type, headers={"X-Extra": "1"}))
    answer = api.post()
    assert (answer.status, answer.body) == (status, body)
    assert answer.headers["content-type"] == content_type
    assert answer.headers["x-extra"] == "1"


@pytest.mark.parametrize("stream", [False, True])
def test_error_body_200(emu: MashaGPTEmulator, api: Api, stream: bool) -> None:
    emu.enqueue(Reply.error_body_200("Model crashed", code="upstream_error"))
    answer = api.post(stream=stream)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "error": {
            "message": "Model crashed",
            "type": "server_error",
            "param": None,
            "code": "upstream_error",
        }
    }


@pytest.mark.parametrize("stream", [False, True])
def test_close_connection(emu: MashaGPTEmulator, api: Api, stream: bool) -> None:
    emu.enqueue(Reply.close_connection())
    with pytest.raises(http.client.RemoteDisconnected):
        api.post(stream=stream)
    assert api.post().status == 200  # the server is fine afterwards


def _read_partial(emu: MashaGPTEmulator, stream: bool, timeout: float = 10.0) -> tuple[int, bytes]:
    """POST and read what arrives before the body breaks off (IncompleteRead / timeout)."""
    connection = http.client.HTTPConnection(emu.host, emu.port, timeout=timeout)
    payload = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": stream,
        **({"stream_options": {"include_usage": True}} if stream else {}),
    }
    headers = {"Authorization": f"Bearer {emu.api_key}", "Content-Type": "application/json"}
    try:
        connection.request("POST", "/v1/chat/completions", json.dumps(payload), headers)
        answer = connection.getresponse()
        received = b""
        try:
            while piece := answer.read1(65536):
                received += piece
        except http.client.IncompleteRead as exc:
            received += exc.partial
        return answer.status, received
    finally:
        connection.close()


def test_stream_cut_drops_the_connection(emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.stream_cut(3))
    with pytest.raises(http.client.IncompleteRead):
        Api(emu).post(stream=True)
    emu.enqueue(Reply.stream_cut(3))
    status, received = _read_partial(emu, stream=True)
    assert status == 200
    stream = parse_sse(received)
    assert len(stream.events) == 3
    assert "[DONE]" not in stream.events
    assert stream.text() == "Hello! How "


def test_stream_cut_with_clean_end(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.stream_cut(2, content="Scripted words here", clean_end=True))
    answer = api.post(stream=True)  # a complete HTTP body...
    stream = parse_sse(answer.body)
    assert stream.text() == "Scripted "  # ...without [DONE] or finish_reason
    assert stream.events[-1] != "[DONE]"


def test_stream_cut_on_a_non_stream_request(emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.stream_cut(1))
    with pytest.raises(http.client.IncompleteRead):
        Api(emu).post()


def test_stream_error_event(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.stream_error(2, "Upstream died", code="upstream_error"))
    stream = parse_sse(api.post(stream=True).body)
    assert len(stream.events) == 3
    assert stream.events[-1] != "[DONE]"
    assert json.loads(stream.events[-1]) == {
        "error": {
            "message": "Upstream died",
            "type": "server_error",
            "param": None,
            "code": "upstream_error",
        }
    }
    assert stream.text() == "Hello! "


def test_stream_error_on_a_non_stream_request(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.stream_error(2, "Upstream died"))
    answer = api.post()
    assert answer.status == 200
    assert answer.error["message"] == "Upstream died"


def _drain(answer: http.client.HTTPResponse, sink: bytearray) -> None:
    while piece := answer.read1(65536):
        sink += piece


@pytest.mark.parametrize(("stream", "after"), [(True, 0), (True, 2), (False, 0)])
def test_stream_stall_times_out_the_client(emu: MashaGPTEmulator, stream: bool, after: int) -> None:
    emu.enqueue(Reply.stream_stall(after))
    connection = http.client.HTTPConnection(emu.host, emu.port, timeout=0.2)
    payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    headers = {"Authorization": f"Bearer {emu.api_key}", "Content-Type": "application/json"}
    received = bytearray()
    try:
        connection.request("POST", "/v1/chat/completions", json.dumps(payload), headers)
        answer = connection.getresponse()  # the headers do arrive
        assert answer.status == 200
        with pytest.raises(TimeoutError):
            _drain(answer, received)
    finally:
        connection.close()
    if stream:
        assert len(parse_sse(bytes(received)).events) == after
    assert Api(emu).post().status == 200


def test_delay_then_answer(emu: MashaGPTEmulator, api: Api) -> None:
    emu.enqueue(Reply.text("late", delay=0.05))
    assert api.post().json()["choices"][0]["message"]["content"] == "late"


def test_delay_longer_than_the_client_timeout(emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.model(delay=0.5))
    with pytest.raises(TimeoutError):
        Api(emu, timeout=0.1).post()
    assert Api(emu).post().status == 200
