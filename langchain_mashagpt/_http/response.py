"""What an HTTP answer says beside its body: its request id, and its headers if asked. Pure.

The transport reads these off the status line's headers and hands them on with
the body: `Answered(body, meta)` from a non-streamed request, an `AnswerMeta`
before the first chunk of a stream. The answer converters put `meta.metadata`
into `response_metadata` (of every choice; of a stream's first chunk):

- `request_id`: the `x-request-id` (or `request-id`) header, whenever the
  server sends one — what its support asks for;
- `headers`: every header of the answer, with `include_response_headers=True`
  (ChatOpenAI's name).

Both are masked of anything that echoes the API key (`_http.redact.Redactor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from langchain_mashagpt._http.redact import Redactor

__all__ = ["REQUEST_ID_HEADERS", "AnswerMeta", "Answered", "answer_meta"]

REQUEST_ID_HEADERS = ("x-request-id", "request-id")
"""The headers a request id comes in, in the order they are looked for."""


class AnswerMeta(NamedTuple):
    """The `response_metadata` fields an answer's headers give."""

    metadata: dict[str, Any]


class Answered(NamedTuple):
    """A non-streamed answer: its checked JSON body and what its headers say."""

    body: dict[str, Any]
    meta: AnswerMeta


def answer_meta(headers: Mapping[str, str], include: bool, redactor: Redactor) -> AnswerMeta:
    """The `response_metadata` fields of an answer with these `headers`.

    Args:
        headers: The answer's headers (case-insensitive, as the HTTP library gives them).
        include: Whether every header goes in, as `headers`.
        redactor: Masks the key wherever a header echoes it.
    """
    metadata: dict[str, Any] = {}
    for name in REQUEST_ID_HEADERS:
        if value := headers.get(name):
            metadata["request_id"] = redactor.text(value)
            break
    if include:
        metadata["headers"] = {k: redactor.text(v) for k, v in headers.items()}
    return AnswerMeta(metadata)
