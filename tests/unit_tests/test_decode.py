"""The SSE decoder and chunk parser: bytes in, events out, for every way of reading."""

from __future__ import annotations

import pytest

from langchain_mashagpt._http.sse import ChunkParser, ServerSentEvent, SSEDecoder, parse_completion
from langchain_mashagpt.errors import APIError, APIResponseValidationError, IncompleteStreamError
from tests.unit_tests.helpers import sse_fixture


def decode(body: bytes, reads: list[int] | None = None) -> list[ServerSentEvent]:
    """Feed `body` in pieces of the given sizes (the rest in one piece)."""
    decoder, events, start = SSEDecoder(), [], 0
    for size in reads or []:
        events += decoder.feed(body[start : start + size])
        start += size
    events += decoder.feed(body[start:])
    return events + decoder.close()


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_line_endings(newline: bytes) -> None:
    body = b"data: one\n\n: comment\ndata: two\ndata: lines\n\nevent: error\ndata: x\n\n"
    events = decode(body.replace(b"\n", newline))
    assert events == [
        ServerSentEvent("", b"one"),
        ServerSentEvent("", b"two\nlines"),
        ServerSentEvent("error", b"x"),
    ]


def test_every_split_of_a_fixture_gives_the_same_events() -> None:
    body = sse_fixture("function_call").replace(b"\n", b"\r\n")
    expected = decode(body)
    assert len(expected) == 9
    for cut in range(1, len(body)):
        assert decode(body, [cut]) == expected, cut
    assert decode(body, [1] * len(body)) == expected


def test_crlf_split_between_reads_is_one_line_end() -> None:
    assert decode(b"data: a\r\r\n\r\n", [8]) == [ServerSentEvent("", b"a")]
    assert decode(b"data: a\r\ndata: b\r\n\r\n", [8]) == [ServerSentEvent("", b"a\nb")]


def test_utf8_cut_inside_a_character() -> None:
    body = "data: привет\n\n".encode()
    for cut in range(len(body)):
        assert decode(body, [cut]) == [ServerSentEvent("", "привет".encode())]


def test_field_without_space_or_value_and_unknown_fields() -> None:
    body = b"data:x\nid: 7\nretry: 10\nfoo\ndata\n\n\n\n"
    assert decode(body) == [ServerSentEvent("", b"x\n")]


def test_last_event_without_blank_line_is_kept() -> None:
    assert decode(b"data: [DONE]") == [ServerSentEvent("", b"[DONE]")]
    assert decode(b"data: [DONE]\r") == [ServerSentEvent("", b"[DONE]")]
    assert decode(b": only a comment") == []


def test_chunk_parser_stops_at_done_and_ignores_the_rest() -> None:
    parser = ChunkParser()
    chunks = parser.feed(sse_fixture("text") + b'data: {"choices": []}\n\n')
    assert parser.done
    assert [c["id"] for c in chunks] == ["chatcmpl-s1"] * 6
    assert parser.close() == []


def test_chunk_parser_raises_on_a_stream_cut_before_done() -> None:
    parser = ChunkParser()
    assert len(parser.feed(sse_fixture("cut"))) == 3
    with pytest.raises(IncompleteStreamError, match=r"before `data: \[DONE\]`"):
        parser.close()


def test_chunk_parser_raises_the_servers_error_event() -> None:
    parser = ChunkParser()
    with pytest.raises(APIError, match="The upstream model failed") as info:
        parser.feed(sse_fixture("error_event"))
    assert info.value.code == "upstream_error"
    assert info.value.error_type == "server_error"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"data: {not json\n\n", "not JSON"),
        (b'data: {"id": "x"}\n\n', "no `choices`"),
        (b"data: [1, 2]\n\n", "no `choices`"),
    ],
)
def test_chunk_parser_rejects_undocumented_events(data: bytes, match: str) -> None:
    with pytest.raises(APIResponseValidationError, match=match):
        ChunkParser().feed(data)


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        (b"<html>502 Bad Gateway</html>", APIResponseValidationError, "not JSON"),
        (b'{"choices": [{"index": 0, "mess', APIResponseValidationError, "not JSON"),
        (b'{"id": "x", "object": "chat.completion"}', APIResponseValidationError, "choices"),
        (b'{"error": {"message": "quota", "code": "q"}}', APIError, "quota"),
        (b'{"error": "plain text error"}', APIError, "plain text error"),
    ],
)
def test_parse_completion_rejects_what_the_api_does_not_document(
    content: bytes, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        parse_completion(content)


def test_parse_completion_tolerates_unknown_fields() -> None:
    body = b'{"choices": [], "system_fingerprint": "fp", "extra": {"a": 1}}'
    assert parse_completion(body)["extra"] == {"a": 1}
