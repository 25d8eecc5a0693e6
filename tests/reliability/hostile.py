"""A hostile HTTP server on loopback: each request is answered by a function writing raw bytes.

Unlike the emulator, it can send anything: a gzip bomb, a 20 MB line, a byte
every 0.2 s, `102 Processing` forever, a body left open after `[DONE]`, an
echoed key. Real sockets, one thread per connection; `close` ends them all.
"""

from __future__ import annotations

import functools
import gzip
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

Handler = Callable[["Connection"], None]


class Connection:
    """One accepted connection: the request read, and ways to answer it."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.body = b""
        self.head = b""

    def read_request(self) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            part = self.sock.recv(65536)
            if not part:
                return False
            data += part
        self.head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in self.head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            part = self.sock.recv(65536)
            if not part:
                return False
            rest += part
        self.body = rest[:length]
        return True

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def head_of(self, status: int, headers: dict[str, str] | None = None, **kw: str) -> bytes:
        fields = {"Connection": "close", **(headers or {}), **kw}
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in fields.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def reply(
        self,
        status: int,
        body: bytes | str | dict[str, Any],
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        raw = raw.encode() if isinstance(raw, str) else raw
        fields = {"Content-Type": content_type, "Content-Length": str(len(raw)), **(headers or {})}
        self.send(self.head_of(status, fields) + raw)

    def stream(self, pieces: Iterable[bytes], headers: dict[str, str] | None = None) -> None:
        """A chunked `text/event-stream` answer, each piece one HTTP chunk."""
        fields = {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}
        self.send(self.head_of(200, {**fields, **(headers or {})}))
        for piece in pieces:
            if piece:
                self.send(b"%x\r\n%s\r\n" % (len(piece), piece))

    def end_chunks(self) -> None:
        self.send(b"0\r\n\r\n")

    def wait(self, seconds: float) -> bool:
        """Sleep, unless the server is closing; True if it is."""
        return self.stop.wait(seconds)


class Hostile:
    """Serves every request on its own connection with `handler`, then closes it.

    With `keep_alive`, a connection serves request after request until the
    client closes it (the handler then answers with `Connection: keep-alive`);
    with `tls`, it speaks HTTPS (`base_url` says so).
    """

    def __init__(
        self, handler: Handler, keep_alive: bool = False, tls: ssl.SSLContext | None = None
    ) -> None:
        self.handler = handler
        self.keep_alive = keep_alive
        self.tls = tls
        self.connections = 0
        self.requests: list[Connection] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as servers do
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            conn = Connection(sock, self._stop)
            while conn.read_request():
                self.requests.append(conn)
                self.handler(conn)
                if not self.keep_alive:
                    break
                conn = Connection(sock, self._stop)
        except OSError:
            pass  # the client went away, as it may
        finally:
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(5)


def chunk(content: str | None = None, **extra: Any) -> dict[str, Any]:
    """A `chat.completion.chunk` with one choice."""
    delta = {} if content is None else {"content": content}
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return {**body, "choices": [{"index": 0, "delta": delta, "finish_reason": None}], **extra}


def event(data: Any) -> bytes:
    return b"data: " + (data if isinstance(data, bytes) else json.dumps(data).encode()) + b"\n\n"


DONE = b"data: [DONE]\n\n"


def completion(content: str = "Hello world", choices: int = 1, **extra: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": i, "message": message, "finish_reason": "stop"} for i in range(choices)
        ],
        **extra,
    }


@functools.lru_cache(maxsize=2)
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes gzipped (about 1000:1)."""
    return gzip.compress(b"\0" * size, compresslevel=9)
