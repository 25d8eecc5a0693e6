"""What the call's deadline costs per network read: `_http.reading.raws` and the socket wrapper.

    .venv/bin/python benchmarks/deadline.py

The pooled clients cut every read's timeout to what is left of the deadline
(`_http.sockets`), and the transport sets the deadline around each read of a body
(`_http.reading.raws`). Both run once per network read, not per chunk: one read
carries however many events arrived together. Each figure is the best of 5
rounds of 200,000 reads from an in-memory stand-in, so only the added Python
work is measured.
"""

from __future__ import annotations

import sys
import time
import timeit
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpcore2

from langchain_mashagpt._http.reading import raws
from langchain_mashagpt._http.sockets import _Stream, within

READS = 200_000


class Body:
    """A response whose body is READS one-byte raw reads."""

    is_stream_consumed = False

    def iter_raw(self) -> Iterator[bytes]:
        return iter([b"x"] * READS)


class Socket:
    """A network stream whose reads return at once."""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b"x"


def best(statement: object) -> float:
    """Seconds per read, best of 5 rounds."""
    return min(timeit.repeat(statement, number=1, repeat=5)) / READS


def main() -> None:
    plain = best(lambda: sum(1 for _ in Body().iter_raw()))
    bounded = best(lambda: sum(1 for _ in raws(Body(), time.monotonic() + 100)))
    print(
        f"body reads: httpx's own {plain * 1e9:.0f} ns, with the deadline set around each "
        f"{bounded * 1e9:.0f} ns: +{(bounded - plain) * 1e9:.0f} ns per read"
    )
    socket, wrapped = Socket(), _Stream(Socket(), httpcore2)

    def reads(stream: Socket | _Stream) -> None:
        for _ in range(READS):
            stream.read(65536, 120.0)

    with within(time.monotonic() + 100):
        bare = best(lambda: reads(socket))
        cut = best(lambda: reads(wrapped))
    print(
        f"socket reads: bare {bare * 1e9:.0f} ns, timeout cut to the deadline "
        f"{cut * 1e9:.0f} ns: +{(cut - bare) * 1e9:.0f} ns per read"
    )


if __name__ == "__main__":
    main()
