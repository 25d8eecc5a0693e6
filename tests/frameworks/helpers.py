"""Runs a framework's runnable in each of the four modes, and reads what went out.

Every test in this folder drives a real framework against the bundled emulator
and asserts two things: the answer the user gets, and the exact requests the
model sent on every turn (`expect_requests`). Wire messages are compared in a
normalised form: a function call's `arguments` are parsed (their spacing is the
client's business), and an assistant's empty `content` is None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_mashagpt.testing import MashaGPTEmulator

MODES = ("invoke", "ainvoke", "stream", "astream")


@dataclass(frozen=True)
class Mode:
    """One of `invoke`, `ainvoke`, `stream`, `astream`."""

    name: str

    @property
    def streams(self) -> bool:
        return self.name in ("stream", "astream")

    async def run(self, runnable: Any, input: Any, **kwargs: Any) -> list[Any]:
        """The output as a one-item list (invoke modes) or the streamed chunks."""
        if self.name == "invoke":
            return [runnable.invoke(input, **kwargs)]
        if self.name == "ainvoke":
            return [await runnable.ainvoke(input, **kwargs)]
        if self.name == "stream":
            return _nonempty(list(runnable.stream(input, **kwargs)))
        return _nonempty([chunk async for chunk in runnable.astream(input, **kwargs)])

    async def last(self, runnable: Any, input: Any, **kwargs: Any) -> Any:
        """The output, or the last streamed chunk (a stream of whole values)."""
        return (await self.run(runnable, input, **kwargs))[-1]

    async def graph(
        self, graph: Any, input: Any, *, subgraphs: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """A LangGraph graph's final state; streamed, also check its token stream.

        Streamed modes stream `["messages", "values"]`, so the chat model inside
        streams (LangGraph asks for tokens only then); the tokens of each AI
        message must add up to that message (text and tool calls) in the final
        state, and the last answer must have been streamed. With `subgraphs`,
        the tokens of models inside subgraphs (a supervisor's agents) count too.
        """
        if not self.streams:
            state: dict[str, Any] = (await self.run(graph, input, **kwargs))[0]
            return state
        modes = ["messages", "values"]
        if subgraphs:
            parts = await self.run(graph, input, stream_mode=modes, subgraphs=True, **kwargs)
            chunks = [(kind, data) for ns, kind, data in parts if kind == "messages" or not ns]
        else:
            chunks = await self.run(graph, input, stream_mode=modes, **kwargs)
        values = [data for kind, data in chunks if kind == "values"]
        tokens: dict[str, list[Any]] = {}
        for kind, data in chunks:
            if kind == "messages" and isinstance(data[0], AIMessageChunk):
                tokens.setdefault(str(data[0].id), []).append(data[0])
        final: dict[str, Any] = values[-1]
        streamed = {key: merge(parts) for key, parts in tokens.items()}
        messages = final.get("messages", [])
        if messages and messages[-1].type == "ai":
            assert str(messages[-1].id) in streamed, "the last answer was not streamed"
        for message in messages:
            if message.type == "ai" and str(message.id) in streamed:
                chunk = streamed[str(message.id)]
                assert chunk.content == message.content
                assert _calls(chunk) == _calls(message)
        assert streamed, "nothing was streamed"
        return final


def _calls(message: Any) -> list[tuple[str, Any]]:
    return [(call["name"], call["args"]) for call in message.tool_calls]


def _nonempty(chunks: list[Any]) -> list[Any]:
    assert chunks, "the stream yielded nothing"
    return chunks


def merge(chunks: list[Any]) -> Any:
    """Add up streamed chunks as LangChain does."""
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


# -- what went out ----------------------------------------------------------------


def user(content: str) -> dict[str, Any]:
    return {"role": "user", "content": content}


def system(content: str) -> dict[str, Any]:
    return {"role": "system", "content": content}


def assistant(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """An assistant message calling `name` (arguments compared as parsed JSON)."""
    return {
        "role": "assistant",
        "content": None,
        "function_call": {"name": name, "arguments": arguments},
    }


def result(name: str, content: str) -> dict[str, Any]:
    return {"role": "function", "name": name, "content": content}


def wire_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A request's messages, normalised (parsed arguments, empty content is None)."""
    messages = []
    for message in body["messages"]:
        message = dict(message)
        if message["role"] == "assistant" and not message.get("content"):
            message["content"] = None
        if "function_call" in message:
            fc = message["function_call"]
            message["function_call"] = {
                "name": fc["name"],
                "arguments": json.loads(fc["arguments"]),
            }
        messages.append(message)
    return messages


@dataclass(frozen=True)
class Turn:
    """What one request must carry: its messages, function names and `function_call`."""

    messages: list[dict[str, Any]]
    functions: list[str] | None = None
    function_call: Any = None


def expect_requests(
    sent: MashaGPTEmulator | list[dict[str, Any]], streams: bool | None, *turns: Turn
) -> list[dict[str, Any]]:
    """Assert every request the emulator got (or these bodies), in order; return them.

    Unless `streams` is None, each request must stream exactly when it is true.
    Nothing but the API's own fields may go out (the emulator refuses the rest
    with a 400, so a request that reached a turn here was also valid).
    """
    bodies = [r.body for r in sent.requests] if isinstance(sent, MashaGPTEmulator) else sent
    assert len(bodies) == len(turns), [wire_messages(b) for b in bodies]
    for index, (body, turn) in enumerate(zip(bodies, turns, strict=True)):
        where = f"request {index + 1}"
        assert wire_messages(body) == turn.messages, where
        names = [f["name"] for f in body["functions"]] if "functions" in body else None
        assert names == turn.functions, where
        assert body.get("function_call") == turn.function_call, (where, body.get("function_call"))
        if streams is not None:
            assert bool(body.get("stream")) == streams, where
    return bodies


# -- tools, schemas and prompts the tests share ------------------------------------

SYSTEM = "You are a helpful assistant."
AGENT_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", SYSTEM),
        MessagesPlaceholder("chat_history", optional=True),
        ("human", "{input}"),
        MessagesPlaceholder("agent_scratchpad"),
    ]
)
"""The prompt of langchain-classic's agent constructors."""


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny, 21 °C in {city}"


@tool
def get_time(zone: str) -> str:
    """Get the current time in a time zone."""
    return f"12:00 in {zone}"


class Weather(BaseModel):
    """Record the weather in a city."""

    city: str = Field(description="The city")
    degrees: int = Field(description="Temperature in °C")


class Person(BaseModel):
    """Record a person."""

    name: str
    age: int
