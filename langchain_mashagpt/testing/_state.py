"""What the server shares with the emulator: configuration, request log, script.

Both sides touch it from different threads (the test's and the server's), so
every access to `requests`, `replies` and `counter` holds `lock`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_mashagpt.testing._deviations import Deviations
from langchain_mashagpt.testing._script import Reply

__all__ = ["RecordedRequest", "State"]


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the emulator received it.

    Attributes:
        method: The HTTP method, e.g. `"POST"`.
        path: The request target, query string included.
        headers: The headers, names lower-cased (repeated headers joined by `, `).
        body: The body parsed as JSON, or None when it is not JSON.
        raw_body: The body bytes.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    raw_body: bytes


class State:
    """What the server threads share with the emulator: config, log and script."""

    def __init__(
        self, api_key: str, known_models: Collection[str] | None, chunk_delay: float
    ) -> None:
        """Hold the configuration; the log and the script start empty."""
        self.api_key = api_key
        self.known_models = known_models
        self.chunk_delay = chunk_delay
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.replies: deque[Reply] = deque()
        self.counter = 0
        self.deviations = Deviations()

    def record(self, request: RecordedRequest) -> int:
        """Log a request and return its sequence number (1, 2, ...)."""
        with self.lock:
            self.requests.append(request)
            self.counter += 1
            return self.counter

    def next_reply(self) -> Reply:
        """Pop the next scripted reply, or `Reply.model()` when none is queued."""
        with self.lock:
            return self.replies.popleft() if self.replies else Reply.model()
