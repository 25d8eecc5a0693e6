"""The JSON of the MashaGPT chat API, as `TypedDict`s named after it. No logic.

Answers are read leniently: unknown fields are tolerated, so these types say what
the API documents, not everything a gateway may add.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

Role = Literal["system", "user", "assistant", "function"]


class FunctionCall(TypedDict):
    """`function_call` on an assistant message: `arguments` is a JSON string."""

    name: str
    arguments: str


class Message(TypedDict):
    """`messages[]` of the request body."""

    role: Role
    content: str | None
    name: NotRequired[str]
    function_call: NotRequired[FunctionCall]


class FunctionDefinition(TypedDict):
    """`functions[]` of the request body."""

    name: str
    parameters: dict[str, object]
    description: NotRequired[str]


class Usage(TypedDict):
    """`usage` of an answer: tokens and MashaGPT's energy."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_energy: NotRequired[int]
    completion_energy: NotRequired[int]
    total_energy: NotRequired[int]


class ResponseMessage(TypedDict):
    """`choices[].message` of a `chat.completion`."""

    role: str
    content: str | None
    function_call: NotRequired[FunctionCall]


class Choice(TypedDict):
    """`choices[]` of a `chat.completion`."""

    index: int
    message: ResponseMessage
    finish_reason: str | None


class ChatCompletion(TypedDict):
    """A `chat.completion` answer."""

    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: NotRequired[Usage]


class DeltaFunctionCall(TypedDict, total=False):
    """`delta.function_call`: `name` and `arguments` may arrive in pieces."""

    name: str
    arguments: str


class Delta(TypedDict, total=False):
    """`choices[].delta` of a `chat.completion.chunk`."""

    role: str
    content: str | None
    function_call: DeltaFunctionCall


class ChunkChoice(TypedDict):
    """`choices[]` of a `chat.completion.chunk`."""

    index: int
    delta: Delta
    finish_reason: str | None


class ChatCompletionChunk(TypedDict):
    """One `chat.completion.chunk` event of a stream."""

    id: str
    object: str
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: NotRequired[Usage | None]
