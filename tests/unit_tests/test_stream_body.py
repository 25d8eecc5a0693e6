"""The stream's body is pure: raw reads in, chunks out, its end and errors decided, no I/O."""

from __future__ import annotations

import gzip

import pytest

from langchain_mashagpt._http.stream_body import StreamBody
from langchain_mashagpt.errors import APIResponseValidationError, IncompleteStreamError
from tests.unit_tests.helpers import sse_fixture

BIG = 1 << 20


def test_reads_of_any_size_give_the_chunks_counted_until_done() -> None:
    raw = sse_fixture("text")
    body = StreamBody("", 1, BIG, BIG)
    chunks = [c for i in range(0, len(raw), 7) for c in body.feed(raw[i : i + 7])]
    assert body.done
    assert body.chunks == len(chunks) == 6
    assert body.close() == []


def test_a_gzip_body_is_decoded_before_it_is_parsed() -> None:
    body = StreamBody("gzip", 1, BIG, BIG)
    chunks = list(body.feed(gzip.compress(sse_fixture("text"))))
    assert body.done
    assert len(chunks) == 6


def test_a_body_cut_before_done_raises_at_its_end() -> None:
    body = StreamBody("", 1, BIG, BIG)
    assert len(list(body.feed(sse_fixture("cut")))) == body.chunks == 3
    assert not body.done
    with pytest.raises(IncompleteStreamError):
        body.close()


def test_the_caps_and_the_encoding_are_its_to_refuse() -> None:
    with pytest.raises(APIResponseValidationError, match="larger than the limit of 10 bytes"):
        list(StreamBody("", 1, 10, BIG).feed(sse_fixture("text")))
    with pytest.raises(APIResponseValidationError, match="Content-Encoding 'br'"):
        StreamBody("br", 1, BIG, BIG)
