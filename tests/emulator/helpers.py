"""A tiny stdlib HTTP client for the emulator tests, and SSE parsing of raw bytes."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any

from langchain_mashagpt.testing import MashaGPTEmulator

WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the weather at a location.",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}
"""A function definition as the API documents it, for requests in these tests."""

CHAT = "/v1/chat/completions"


def body(**overrides: Any) -> dict[str, Any]:
    """A valid request body; `overrides` replace or add fields (None values are kept)."""
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello"}],
        **overrides,
    }


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.json()["error"]
        return error


@dataclass
class Api:
    """Sends requests to an emulator with `http.client` (one connection per request)."""

    emu: MashaGPTEmulator
    timeout: float = 10.0

    def request(
        self,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        path: str = CHAT,
        auth: str | None = "default",
    ) -> Response:
        data = raw if raw is not None else json.dumps(payload).encode()
        sent = {"Content-Type": "application/json"}
        if auth is not None:
            sent["Authorization"] = f"Bearer {self.emu.api_key}" if auth == "default" else auth
        sent.update(headers or {})
        connection = http.client.HTTPConnection(self.emu.host, self.emu.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=data, headers=sent)
            answer = connection.getresponse()
            content = answer.read()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, content)
        finally:
            connection.close()

    def post(self, **overrides: Any) -> Response:
        """POST `body(**overrides)` and return the answer."""
        return self.request(body(**overrides))


@dataclass
class Stream:
    """A parsed SSE body: `events` are `data:` payloads (str), `comments` their positions."""

    events: list[str]
    comments: list[tuple[int, str]]

    @property
    def chunks(self) -> list[dict[str, Any]]:
        """The JSON events, except `{"error": ...}` ones."""
        decoded = [json.loads(e) for e in self.events if e != "[DONE]"]
        return [c for c in decoded if "error" not in c]

    def text(self, index: int = 0) -> str:
        return "".join(
            c["choices"][0]["delta"].get("content") or ""
            for c in self.chunks
            if c["choices"] and c["choices"][0]["index"] == index
        )

    def call(self, index: int = 0) -> tuple[str, str]:
        name = arguments = ""
        for chunk in self.chunks:
            if chunk["choices"] and chunk["choices"][0]["index"] == index:
                call = chunk["choices"][0]["delta"].get("function_call") or {}
                name += call.get("name", "")
                arguments += call.get("arguments", "")
        return name, arguments


def parse_sse(raw: bytes) -> Stream:
    """Parse an SSE body strictly: every event is one line, ended by a blank line."""
    text = raw.decode("utf-8")
    if not text:
        return Stream([], [])
    assert text.endswith("\n\n"), f"the stream does not end with a blank line: {text[-40:]!r}"
    events: list[str] = []
    comments: list[tuple[int, str]] = []
    for block in text[:-2].split("\n\n"):
        lines = block.split("\n")
        assert len(lines) == 1, f"multi-line event: {block!r}"
        line = lines[0]
        if line.startswith(":"):
            comments.append((len(events), line))
        else:
            assert line.startswith("data: "), line
            events.append(line[len("data: ") :])
    return Stream(events, comments)
