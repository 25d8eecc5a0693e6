"""The body of a 2xx answer to a streamed request: raw bytes in, checked chunks out. Pure; no I/O.

`Transport.stream` and `Transport.astream` are its two drivers and only read:
each raw read is fed to `StreamBody.feed`, which decodes it within the size cap
(`_http.body.Body`), parses its events (`_http.sse.ChunkParser`) and yields the
chunks they complete; once it is `done` (`[DONE]` came) nothing more is read;
at the body's end `close` gives the last chunks or raises for a stream cut off.
It counts the chunks handed out, for the error of a stream that breaks off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_mashagpt._http.body import Body
from langchain_mashagpt._http.sse import ChunkParser

__all__ = ["StreamBody"]


class StreamBody:
    """One stream's body, fed a read at a time.

    Args:
        encoding: The `Content-Encoding` still to undo (`""` for none).
        n: How many choices were asked for.
        max_response_bytes: The most bytes of the body, after decompression.
        max_event_bytes: The longest line, and the most data of one event.

    Attributes:
        chunks: How many chunks were handed out.

    Raises:
        APIResponseValidationError: An encoding that was not asked for.
    """

    __slots__ = ("_body", "_parser", "chunks")

    def __init__(
        self, encoding: str, n: int, max_response_bytes: int, max_event_bytes: int
    ) -> None:
        self._body = Body(encoding, max_response_bytes, "stream")
        self._parser = ChunkParser(n, max_event_bytes)
        self.chunks = 0

    @property
    def done(self) -> bool:
        """Whether `[DONE]` came: the answer is whole, the rest is not waited for."""
        return self._parser.done

    def feed(self, raw: bytes) -> Iterator[dict[str, Any]]:
        """The checked chunks that one read's `raw` bytes complete.

        Raises:
            APIResponseValidationError: The body is over its cap, or not what it should be.
            APIError: The server sent an error event.
        """
        for piece in self._body.feed(raw):
            for chunk in self._parser.feed(piece):
                self.chunks += 1
                yield chunk

    def close(self) -> list[dict[str, Any]]:
        """The chunks left at the body's end.

        Raises:
            IncompleteStreamError: The body ended before `[DONE]`.
        """
        return self._parser.close()
