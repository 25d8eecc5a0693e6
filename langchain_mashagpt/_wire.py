"""The JSON of the MashaGPT chat API that this package writes, as `TypedDict`s named after it.

Only the request is typed: an answer is JSON from the network, read leniently
(unknown fields tolerated) and checked field by field where it is read
(`_http.sse`, `_convert.answers`, `_convert.usage`). A `TypedDict` over it would
claim a shape nobody checks, so answers stay `dict[str, Any]`. No logic.
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
