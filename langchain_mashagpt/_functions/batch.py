"""Several tool calls in one answer over a one-call protocol: the batch function. Pure.

The API returns at most one `function_call` per answer. With
`parallel_tool_calls=True` the request also offers one batch function,
`BATCH_NAME`, shaped like ChatGPT's own `multi_tool_use.parallel`:

    {"tool_uses": [{"recipient_name": "get_weather", "parameters": {"city": "Moscow"}},
                   {"recipient_name": "get_weather", "parameters": {"city": "Paris"}}]}

One call of it is read back as one tool call per item, in order (`decode_batch`):
an item that names no offered tool, or whose parameters are not an object,
becomes an invalid call and the other items stay valid. A `recipient_name` may
carry ChatGPT's `functions.` prefix.

The history needs nothing of this module: an AI message with N tool calls goes
back as N assistant-call / function-result pairs (see `_convert.request`), the one
form in which each `function` message follows the call it answers, as the
functions protocol (which has no call ids) requires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_mashagpt._json import dumps, is_blank, loads_exact
from langchain_mashagpt._wire import FunctionDefinition

__all__ = [
    "BATCH_NAME",
    "batch_function",
    "batch_tools",
    "decode_batch",
    "is_batch",
    "rename_recipients",
]

BATCH_NAME = "multi_tool_use_parallel"
"""The batch function's name on the wire (`multi_tool_use.parallel` is not a valid one)."""

_PREFIX = "functions."

BatchItem = tuple[str, Any, str | None]
"""`(name, args, error)` of one call: `error` is `None` for a valid call, whose
`args` is then an object; an invalid call's `args` is its JSON text."""


def batch_function(
    functions: Sequence[FunctionDefinition], *, with_schemas: bool
) -> FunctionDefinition:
    """The batch function that calls any of `functions`, several at once.

    Args:
        functions: The bound tools' function definitions.
        with_schemas: Whether each tool's parameter schema goes into the batch
            function itself (an `anyOf` branch per tool, keyed by its
            `recipient_name`, and a description listing the tools), for when the
            batch function is sent alone; beside the tools' own definitions it
            only names them, which keeps the prompt it adds to every request small.
    """
    from langchain_core.utils.json_schema import dereference_refs

    names = [f["name"] for f in functions]
    item: dict[str, Any] = {
        "type": "object",
        "properties": {
            "recipient_name": {"type": "string", "enum": names},
            "parameters": {"type": "object"},
        },
        "required": ["recipient_name", "parameters"],
    }
    description = "Call several functions at once: one `tool_uses` item per call."
    if with_schemas:
        branches = []
        for function in functions:
            # Nested here, a tool's `#/$defs/...` refs would point at the batch
            # function's root: inline them.
            schema = dereference_refs(dict(function["parameters"]))
            schema.pop("$defs", None)
            schema.pop("definitions", None)
            branches.append(
                {
                    "properties": {
                        "recipient_name": {"const": function["name"]},
                        "parameters": schema,
                    }
                }
            )
        item["anyOf"] = branches
        lines = [
            f"- {f['name']}: {f['description']}" if f.get("description") else f"- {f['name']}"
            for f in functions
        ]
        description = (
            "Call one or several of these tools at once: one `tool_uses` item per "
            "call, its `parameters` as that tool's `anyOf` branch says.\n" + "\n".join(lines)
        )
    return {
        "name": BATCH_NAME,
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {"tool_uses": {"type": "array", "minItems": 1, "items": item}},
            "required": ["tool_uses"],
        },
    }


def batch_tools(payload: Mapping[str, Any]) -> frozenset[str]:
    """The tools the batch function of a body as sent can call (empty when it has none).

    Read back by name, for `CallPlan.of`; a request's own plan has them from
    `_functions.build`.
    """
    for function in payload.get("functions") or ():
        if function.get("name") == BATCH_NAME:
            try:
                item = function["parameters"]["properties"]["tool_uses"]["items"]
                return frozenset(item["properties"]["recipient_name"]["enum"])
            except (KeyError, TypeError):  # a function of the user's that took the name
                return frozenset()
    return frozenset()


def rename_recipients(
    parameters: Mapping[str, Any], rename: Callable[[str], str]
) -> dict[str, Any]:
    """The batch function's `parameters` with every tool name passed through `rename`.

    The `recipient_name` enum and each `anyOf` branch's `const` name the tools.
    A request never needs this: `_functions.build` renames the tools before it
    builds the batch function from them; this is for one already built.
    """
    try:
        uses = parameters["properties"]["tool_uses"]
        item = uses["items"]
        recipient = item["properties"]["recipient_name"]
        names = [rename(name) for name in recipient["enum"]]
    except (KeyError, TypeError):  # not ours: a function of the user's that took the name
        return dict(parameters)
    branches = [
        {
            **branch,
            "properties": {
                **branch["properties"],
                "recipient_name": {
                    "const": rename(branch["properties"]["recipient_name"]["const"])
                },
            },
        }
        for branch in item.get("anyOf", ())
    ]
    item = {
        **item,
        "properties": {**item["properties"], "recipient_name": {**recipient, "enum": names}},
    }
    if branches:
        item["anyOf"] = branches
    return {
        **parameters,
        "properties": {**parameters["properties"], "tool_uses": {**uses, "items": item}},
    }


def is_batch(name: str) -> bool:
    """Whether a called function's name is the batch function's (ChatGPT's dotted one too)."""
    return name in (BATCH_NAME, "multi_tool_use.parallel")


def decode_batch(raw: str, tools: frozenset[str]) -> list[BatchItem]:
    """The calls one call of the batch function makes, in order.

    Args:
        raw: The batch call's arguments, as the API returned them (JSON text).
        tools: The tools the batch function was offered for.

    Returns:
        One `(name, args, error)` per item of `tool_uses`. When `raw` is not a
        JSON object with a non-empty `tool_uses` array, one invalid call of the
        batch function itself, carrying `raw`, so nothing the model said is lost.
    """
    try:
        args = {} if is_blank(raw) else loads_exact(raw)
    except ValueError as exc:
        return [(BATCH_NAME, raw, f"arguments are not JSON: {exc}")]
    uses = args.get("tool_uses") if isinstance(args, dict) else None
    if not isinstance(uses, list) or not uses:
        return [
            (
                BATCH_NAME,
                raw,
                f"{BATCH_NAME} needs a non-empty `tool_uses` array of "
                "{recipient_name, parameters} objects",
            )
        ]
    return [_item(use, tools) for use in uses]


def _item(use: Any, tools: frozenset[str]) -> BatchItem:
    if not isinstance(use, dict):
        return "", dumps(use).decode(), "a `tool_uses` item is not a JSON object"
    name = use.get("recipient_name")
    parameters = use.get("parameters", {})
    if not isinstance(name, str):
        return "", dumps(use).decode(), "a `tool_uses` item has no `recipient_name` string"
    name = name.removeprefix(_PREFIX)
    if name not in tools:
        error = f"{name!r} is none of the offered tools {sorted(tools)}"
        return name, dumps(parameters).decode(), error
    if not isinstance(parameters, dict):
        return name, dumps(parameters).decode(), f"the arguments for {name!r} are not a JSON object"
    return name, parameters, None
