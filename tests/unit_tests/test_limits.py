"""The pure pieces of the bounds: `Body` (caps, decompression), the SSE decoder's caps and BOM,
usage counts, key checks and masking. No socket."""

from __future__ import annotations

import gzip
import zlib

import pytest
from pydantic import SecretStr

from langchain_mashagpt._convert.usage import checked_usage, usage_metadata
from langchain_mashagpt._http.body import Body
from langchain_mashagpt._http.credential import Credential
from langchain_mashagpt._http.failures import server_text
from langchain_mashagpt._http.redact import Redactor
from langchain_mashagpt._http.sse import ChunkParser, ServerSentEvent, SSEDecoder, parse_completion
from langchain_mashagpt.errors import APIError, APIResponseValidationError

DATA = b"hello world " * 20_000


def decoded(body: Body, raw: bytes, step: int = 7) -> bytes:
    return b"".join(p for i in range(0, len(raw), step) for p in body.feed(raw[i : i + step]))


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [
        ("gzip", gzip.compress(DATA)),
        ("x-gzip", gzip.compress(DATA)),
        ("deflate", zlib.compress(DATA)),
        ("deflate", zlib.compress(DATA)[2:-4]),  # raw deflate, no zlib header
        ("", DATA),
        ("identity", DATA),
    ],
)
def test_body_decodes_every_encoding_in_any_reads(encoding: str, raw: bytes) -> None:
    assert decoded(Body(encoding, len(DATA), "answer"), raw) == DATA
    assert decoded(Body(encoding, len(DATA), "answer"), raw, step=1) == DATA


def test_body_over_the_cap_raises_or_is_cut() -> None:
    with pytest.raises(APIResponseValidationError, match="larger than the limit of 1000 bytes"):
        decoded(Body("gzip", 1000, "answer"), gzip.compress(DATA))
    cut = Body("gzip", 1000, "error answer", truncate=True)
    assert decoded(cut, gzip.compress(DATA)) == DATA[:1000]
    assert cut.full
    assert list(cut.feed(b"more")) == []


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_body_refuses_an_encoding_it_did_not_ask_for(encoding: str) -> None:
    with pytest.raises(APIResponseValidationError, match="was not asked for"):
        Body(encoding, 10, "answer")


def test_body_refuses_data_that_is_not_its_encoding() -> None:
    with pytest.raises(APIResponseValidationError, match="not the compressed data"):
        decoded(Body("gzip", 10_000, "answer"), b"plain text, not gzip")


def test_sse_line_and_event_caps() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    for _ in range(6):
        decoder.feed(b"data: " + b"x" * 10)  # 96 bytes, no line end yet
    with pytest.raises(APIResponseValidationError, match="line longer than the limit of 100"):
        decoder.feed(b"data: " + b"x" * 10)
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(APIResponseValidationError, match="event longer than the limit of 100"):
        decoder.feed(b"data: " + b"y" * 60 + b"\ndata: " + b"z" * 60 + b"\n")


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_one_leading_bom_is_skipped_wherever_the_read_ends(cut: int) -> None:
    body = b"\xef\xbb\xbfdata: a\n\n"
    decoder = SSEDecoder()
    events = decoder.feed(body[:cut]) + decoder.feed(body[cut:]) + decoder.close()
    assert events == [ServerSentEvent("", b"a")]


def test_a_short_body_that_looks_like_a_bom_is_kept() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.close() == []


def test_a_bare_completion_in_a_stream_is_named() -> None:
    parser = ChunkParser()
    parser.feed(b'{"id": "x", "choices": []}')
    with pytest.raises(APIResponseValidationError, match="plain JSON completion"):
        parser.close()


def test_an_error_with_a_huge_body_keeps_a_prefix() -> None:
    body = b'{"error": {"message": "' + b"m" * 100_000 + b'"}}'
    with pytest.raises(APIError) as info:
        parse_completion(body)
    assert len(str(info.value)) < 2200
    assert len(info.value.body) <= 2000


def test_server_text_gets_one_full_stop() -> None:
    assert server_text("Bad key") == "Bad key."
    assert server_text("Bad key.") == "Bad key."
    assert server_text("  ") == "(no message)."
    assert server_text("x" * 3000).endswith("(3000 characters in all)")


@pytest.mark.parametrize("key", ["", "   ", None])
def test_no_key_names_the_variable(key: str | None) -> None:
    with pytest.raises(ValueError, match="MASHAGPT_API_KEY"):
        Credential(None if key is None else SecretStr(key))


def test_redactor_masks_runs_of_key_pieces() -> None:
    redact = Redactor("sk-Zq8vW3xT0pLk9RmN2bY7")
    assert redact.text("key sk-Zq8vW3xT0pLk9RmN2bY7 end") == "key <API key> end"
    assert redact.text("shown as Zq8vW3…RmN2bY7") == "shown as <API key>…<API key>"
    assert redact.text("nothing here") == "nothing here"
    assert redact.value({"a": ["sk-Zq8vW3x", 1]}) == {"a": ["<API key>", 1]}
    assert Redactor("short").text("short") == "short"


def test_usage_counts_are_checked_and_details_mapped() -> None:
    usage = checked_usage(
        {"prompt_tokens": "3", "completion_tokens": 2.0, "note": "x", "total_energy": None}
    )
    assert usage == {"prompt_tokens": 3, "completion_tokens": 2, "note": "x", "total_energy": None}
    assert usage_metadata({"prompt_tokens_details": "junk", "completion_tokens_details": None}) == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
    }
    with pytest.raises(APIResponseValidationError, match="not an object"):
        checked_usage([1, 2])
    with pytest.raises(APIResponseValidationError, match=r"prompt_tokens_details\.cached_tokens"):
        checked_usage({"prompt_tokens_details": {"cached_tokens": -1}})
    assert checked_usage({"total_tokens": "1e3"})["total_tokens"] == 1000
