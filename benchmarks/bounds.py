"""Bounds: what a hostile server can cost one `ChatMashaGPT` call, measured.

    .venv/bin/python benchmarks/bounds.py [--quick]

Each case runs a real call over loopback against `tests/reliability/hostile.py`
(a server writing raw bytes) and reports the wall time to the error and the peak
memory traced by `tracemalloc` during the call (the server's payload is built
before tracing starts). The SSE decoder's linearity is measured alone: the time
to decode one `data:` line of 20 and 100 MB. Loopback only; `make stress` runs it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import ssl
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from langchain_mashagpt import ChatMashaGPT, errors  # noqa: E402
from langchain_mashagpt._http.sse import SSEDecoder  # noqa: E402
from tests.reliability.hostile import (  # noqa: E402
    DONE,
    Connection,
    Hostile,
    chunk,
    completion,
    event,
    gzip_bomb,
)

MB = 1024 * 1024
DATA = HERE.parent / "tests" / "reliability" / "data"


def measure(
    name: str, handler: Callable[[Connection], None], call: Callable[[ChatMashaGPT], Any], **kw: Any
) -> None:
    server = Hostile(handler)
    try:
        model = ChatMashaGPT(api_key="sk-bounds", base_url=server.base_url, max_retries=0, **kw)
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        try:
            call(model)
            outcome = "answered"
        except errors.MashaGPTError as exc:
            outcome = type(exc).__name__
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        server.close()
    print(f"| {name} | {outcome} | {elapsed:.2f} s | {peak / MB:.0f} MiB |")


def reuse(calls: int, tls: bool) -> None:
    """Streams whose body ends 1 ms after `[DONE]` (a proxy's separate write), one after another."""

    def handle(conn: Connection) -> None:
        conn.stream([event(chunk("Hello")), DONE], headers={"Connection": "keep-alive"})
        time.sleep(0.001)
        conn.end_chunks()

    context = None
    if tls:  # the reliability tests' self-signed certificate for 127.0.0.1
        os.environ["SSL_CERT_FILE"] = str(DATA / "loopback-cert.pem")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(DATA / "loopback-cert.pem", DATA / "loopback-key.pem")
    server = Hostile(handle, keep_alive=True, tls=context)
    try:
        # A timeout of its own: a shared client built now, trusting that certificate.
        model = ChatMashaGPT(
            api_key="sk-bounds", base_url=server.base_url, max_retries=0, timeout=99.0 + tls
        )
        started = time.perf_counter()
        for _ in range(calls):
            list(model.stream("hi"))
        elapsed = time.perf_counter() - started
    finally:
        server.close()
    print(
        f"| {calls} streams over {'TLS' if tls else 'TCP'}, body ending 1 ms after [DONE] "
        f"| {server.connections} connections | {elapsed / calls * 1000:.1f} ms per stream | — |"
    )


def line_decode(size: int) -> float:
    decoder = SSEDecoder(max_event_bytes=size + MB)
    piece = b"x" * (64 * 1024)
    started = time.perf_counter()
    decoder.feed(b"data: ")
    for _ in range(size // len(piece)):
        decoder.feed(piece)
    assert decoder.feed(b"\n\n")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (~20 s)")
    quick = parser.parse_args().quick
    line = 20 * MB if quick else 100 * MB
    bomb_size = 128 * MB if quick else 1024 * MB

    print("| case | outcome | time | peak traced memory |")
    print("|---|---|---|---|")

    def long_line(conn: Connection) -> None:
        conn.stream([b"data: "] + [b"x" * MB] * (line // MB))

    measure(
        f"one {line // MB} MB `data:` line (cap 16 MiB)", long_line, lambda m: list(m.stream("hi"))
    )

    bomb = gzip_bomb(bomb_size)

    def gzip_json(conn: Connection) -> None:
        conn.reply(200, bomb, headers={"Content-Encoding": "gzip"})

    def gzip_sse(conn: Connection) -> None:
        conn.reply(200, bomb, "text/event-stream", headers={"Content-Encoding": "gzip"})

    label = f"{len(bomb) / MB:.1f} MB gzip → {bomb_size // MB} MiB"
    measure(f"{label}, invoke (cap 64 MiB)", gzip_json, lambda m: m.invoke("hi"))
    measure(f"{label}, stream (cap 64 MiB)", gzip_sse, lambda m: list(m.stream("hi")))

    def keep_alive(conn: Connection) -> None:
        conn.send(
            conn.head_of(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        )
        ping = b": keep-alive\n" * 4096
        while not conn.stop.is_set():
            conn.send(b"%x\r\n%s\r\n" % (len(ping), ping))

    measure("endless `: keep-alive` to invoke (cap 64 MiB)", keep_alive, lambda m: m.invoke("hi"))

    count = 30_000 if quick else 300_000
    many = json.dumps(completion(choices=count)).encode()  # built before tracing

    def choices(conn: Connection) -> None:
        conn.reply(200, many)

    measure(f"{count} choices for n=1 ({len(many) / MB:.0f} MB)", choices, lambda m: m.invoke("hi"))

    def left_open(conn: Connection) -> None:
        conn.stream([event(chunk("Hello")), DONE])
        conn.wait(30)

    measure(
        "body left open 30 s after [DONE] (timeout 120)", left_open, lambda m: list(m.stream("hi"))
    )

    def drip(conn: Connection) -> None:
        conn.send(
            conn.head_of(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        )
        while not conn.wait(0.5):
            conn.send(b"1\r\n \r\n")

    measure("a byte every 0.5 s, deadline=5", drip, lambda m: m.invoke("hi"), deadline=5.0)

    def processing(conn: Connection) -> None:
        while not conn.wait(0.1):
            conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")

    measure(
        "`102 Processing` every 0.1 s, deadline=5",
        processing,
        lambda m: m.invoke("hi"),
        deadline=5.0,
    )

    def header_drip(conn: Connection) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not conn.wait(0.1):
            conn.send(b"a")

    measure(
        "a header byte every 0.1 s, deadline=5", header_drip, lambda m: m.invoke("hi"), deadline=5.0
    )

    def late_stall(conn: Connection) -> None:
        conn.send(
            conn.head_of(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        )
        for _ in range(45):
            conn.wait(0.1)
            conn.send(b"1\r\n \r\n")
        conn.wait(60)

    measure(
        "drips for 4.5 s then stalls, deadline=5 (timeout 120)",
        late_stall,
        lambda m: m.invoke("hi"),
        deadline=5.0,
    )
    reuse(50, tls=False)
    reuse(50, tls=True)

    print()
    for size in (20 * MB, line):
        print(f"SSE decoder, one {size // MB} MB line in 64 KiB reads: {line_decode(size):.2f} s")


if __name__ == "__main__":
    main()
