"""Reading a body within a size cap, after decompression. Pure; no I/O.

`Body` is fed the raw bytes of each network read and gives back the decoded
bytes in pieces of at most `PIECE`, so that a compressed bomb never expands in
memory beyond the cap and one piece. The transport asks for `gzip` or `deflate`
only (`ACCEPT_ENCODING`); any other `Content-Encoding` is refused, as is a body
that is not what its encoding says.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from langchain_mashagpt.errors import APIResponseValidationError

__all__ = ["ACCEPT_ENCODING", "PIECE", "Body"]

ACCEPT_ENCODING = "gzip, deflate"
"""The encodings the transport asks for, and the only ones it decodes."""
PIECE = 64 * 1024
"""The most decoded bytes produced at once from one read."""


class Body:
    """Decodes one body's raw bytes, raising (or stopping) once `cap` bytes are exceeded.

    Args:
        encoding: The answer's `Content-Encoding` header (`""` for none).
        cap: The most decoded bytes allowed.
        what: What is read, for the error message (e.g. `"answer"`).
        truncate: Stop quietly at `cap` (an error body) rather than raise.
    """

    __slots__ = ("_deflate_head", "_inflater", "cap", "full", "size", "truncate", "what")

    def __init__(self, encoding: str, cap: int, what: str, *, truncate: bool = False) -> None:
        self.cap = cap
        self.what = what
        self.truncate = truncate
        self.size = 0
        self.full = False
        self._deflate_head: bytes | None = None  # first bytes of a `deflate` body, until known
        self._inflater: zlib._Decompress | None = None
        name = encoding.strip().lower()
        if name in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif name == "deflate":
            self._deflate_head = b""
        elif name not in ("", "identity"):
            raise APIResponseValidationError(
                f"MashaGPT's {what} has Content-Encoding {encoding[:40]!r}, which was not "
                f"asked for (Accept-Encoding: {ACCEPT_ENCODING}) and cannot be read. Check "
                "base_url, or a proxy in between."
            )

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of one read's `raw` bytes."""
        if self._deflate_head is not None:
            raw = self._deflate_head + raw
            if len(raw) < 2:
                self._deflate_head = raw
                return
            self._deflate_head = None
            # With or without the zlib header: servers send both as `deflate`.
            zlib_header = raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        inflater = self._inflater
        if inflater is None:
            yield from self._counted(raw)
            return
        data = raw
        while data and not (self.full or inflater.eof):
            try:
                piece = inflater.decompress(data, PIECE)
            except zlib.error as exc:
                raise APIResponseValidationError(
                    f"MashaGPT's {self.what} is not the compressed data its Content-Encoding "
                    f"says ({exc}). Check base_url, or a proxy in between."
                ) from None
            data = inflater.unconsumed_tail
            yield from self._counted(piece)

    def _counted(self, piece: bytes) -> Iterator[bytes]:
        if not piece:
            return
        self.size += len(piece)
        if self.size > self.cap:
            if not self.truncate:
                raise APIResponseValidationError(
                    f"MashaGPT's {self.what} is larger than the limit of {self.cap} bytes "
                    "(after decompression), so reading stopped. Raise max_response_bytes= "
                    "if such answers are expected."
                )
            self.full = True
            piece = piece[: len(piece) - (self.size - self.cap)]
            self.size = self.cap
        yield piece
