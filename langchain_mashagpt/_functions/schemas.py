"""Tools → the API's legacy `functions` / `function_call`, and back. Pure.

The API can force only one named function. When a caller requires *some* tool
(`tool_choice` `"any"`, `"required"` or `True`) out of several, the request
carries one dispatcher function instead, `DISPATCHER_NAME`, whose parameters have
one optional property per tool (that tool's own schema and description) and
`minProperties`/`maxProperties` 1. It is forced, so the model must call it, and
the property it fills names the tool. `_functions.plan.CallPlan.decode` turns that call
back into an ordinary call of the user's tool; a dispatcher call that does not
name exactly one known tool with an object of arguments becomes an invalid tool
call.

With `parallel=True` (`bind_tools(..., parallel_tool_calls=True)`) the batch
function of `_functions.batch` joins in, by `tool_choice`:
- `None`/`"auto"`/`False`: the tools and the batch function, `"auto"`;
- `"none"`: the tools, `"none"` (no call can come, so no batch either);
- a tool's name: the tools, that tool forced (exactly that one call);
- `"any"`/`"required"`/`True`: the batch function alone, carrying each tool's
  schema, forced; it replaces the forced single tool and the `select_tool`
  dispatcher, since its `minItems` 1 already requires a call.

`offer` makes that choice and says which wrapper it sent (`Offer`), so the
request's `CallPlan` is taken from it, never read back from the functions.

Every function's `description` goes out as `inspect.cleandoc` leaves it. One
taken from a docstring otherwise depends on the Python version: 3.13 strips a
docstring's indentation when compiling it, older versions keep it, and
langchain-core's `textwrap.dedent` removes nothing when the first line is not
indented; so the same tool would send different bodies.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from langchain_mashagpt._functions.batch import BATCH_NAME, batch_function
from langchain_mashagpt._wire import FunctionDefinition

__all__ = [
    "DISPATCHER_NAME",
    "Offer",
    "clean_descriptions",
    "function_call_for",
    "functions_for",
    "offer",
]

DISPATCHER_NAME = "select_tool"
"""The one function sent when several tools are bound and a call is required."""

_REQUIRED = ("any", "required")


def functions_for(tools: Sequence[Any]) -> list[FunctionDefinition]:
    """Convert LangChain tools of every accepted kind to `functions` entries.

    One tool given twice (say a pydantic model and its JSON schema, which
    differ only in `title`s) is sent once.

    Names stay the user's own: `_functions.build` gives them their wire names
    (`_functions.names`) before it wraps them (`offer`).

    Raises:
        ValueError: A tool has no name, or two different tools share one.
    """
    from langchain_core.utils.function_calling import convert_to_openai_tool

    functions: list[FunctionDefinition] = []
    for tool in tools:
        # convert_to_openai_tool also takes OpenAI tool dicts, which
        # convert_to_openai_function refuses.
        spec = convert_to_openai_tool(tool).get("function")
        if not isinstance(spec, dict):
            raise ValueError(
                f"{tool!r} is not a function tool: the MashaGPT API calls functions only."
            )
        name = spec.get("name") or ""
        if not name:
            raise ValueError(f"{tool!r} has no name: give the tool a name.")
        parameters = dict(spec.get("parameters") or {})
        parameters.setdefault("type", "object")
        parameters.setdefault("properties", {})
        function: FunctionDefinition = {"name": name, "parameters": parameters}
        if description := _clean(spec.get("description")):
            function["description"] = description
        twin = next((f for f in functions if f["name"] == name), None)
        if twin is None:
            functions.append(function)
        elif _untitled(twin) != _untitled(function):
            raise ValueError(
                f"Two different tools share the name {name!r}: the API tells functions "
                "apart by name only, so give each its own."
            )
    return functions


def _clean(description: Any) -> Any:
    """A description without the indentation Python versions disagree on (module docstring)."""
    return _cleandoc(description) if isinstance(description, str) else description


@functools.lru_cache(maxsize=1024)
def _cleandoc(description: str) -> str:
    """`inspect.cleandoc`, remembered: the same tools' descriptions come with every request."""
    return inspect.cleandoc(description)


def clean_descriptions(payload: dict[str, Any]) -> None:
    """Clean the descriptions of `payload`'s `functions` as `functions_for` does, in place.

    For functions bound as they go on the wire (`bind(functions=…)`, as
    `create_openai_functions_agent` binds its tools), which skip `functions_for`.
    Runs per request: the list is copied only when a description changes.
    """
    functions = payload.get("functions")
    if not isinstance(functions, list | tuple):
        return
    cleaned, changed = [], False
    for function in functions:
        if isinstance(function, dict):
            description = function.get("description")
            if (clean := _clean(description)) != description:
                function, changed = {**function, "description": clean}, True
        cleaned.append(function)
    if changed:
        payload["functions"] = cleaned


def _untitled(schema: Any) -> Any:
    """`schema` without its `title` annotations, to compare two tools' definitions."""
    if isinstance(schema, dict):
        return {
            k: _untitled(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_untitled(v) for v in schema]
    return schema


class Offer(NamedTuple):
    """What a request offers for its tools, and which wrapper carries them.

    Attributes:
        functions: The `functions` to send.
        function_call: The `function_call` to send.
        dispatcher: Names of the tools the `select_tool` dispatcher chooses
            among; empty when it is not sent.
        batch: Names of the tools the batch function can call; empty when it is
            not sent.
    """

    functions: list[FunctionDefinition]
    function_call: str | dict[str, str]
    dispatcher: frozenset[str] = frozenset()
    batch: frozenset[str] = frozenset()


def function_call_for(
    tool_choice: Any, functions: list[FunctionDefinition], *, parallel: bool = False
) -> tuple[list[FunctionDefinition], str | dict[str, str]]:
    """The `functions` to send and the `function_call` for a LangChain `tool_choice`.

    `offer`'s first two fields, for functions under the user's own names (as
    `bind_tools` checks a binding).

    Raises:
        ValueError: As `offer`.
    """
    offered = offer(tool_choice, functions, parallel=parallel)
    return offered.functions, offered.function_call


def offer(
    tool_choice: Any,
    functions: list[FunctionDefinition],
    *,
    parallel: bool = False,
    user_names: Mapping[str, str] | None = None,
) -> Offer:
    """What to send for a LangChain `tool_choice` over `functions`, as the module docstring says.

    With `parallel`, the batch function is offered as the module docstring's
    table says. The dispatcher and the batch function are built from
    `functions` as they are, so they name the tools by the names given.

    Args:
        tool_choice: As `ChatMashaGPT.bind_tools` takes it, naming a tool by the
            user's name.
        functions: The tools' definitions, under their wire names.
        parallel: Whether to offer the batch function.
        user_names: Wire name → the user's name, for `tool_choice` and the
            errors; a name missing from it is the user's own.

    Raises:
        ValueError: `tool_choice` names no bound tool, or is of an unknown form;
            or, with `parallel`, a tool has the batch function's name.
    """
    wires = [f["name"] for f in functions]
    names = [(user_names or {}).get(wire, wire) for wire in wires]
    if not functions and tool_choice not in (None, "auto", "none", False):
        raise ValueError(
            f"tool_choice {tool_choice!r} requires a tool call, but no tools are bound: "
            "pass the tools, or leave tool_choice out."
        )
    if parallel and BATCH_NAME in wires:
        raise ValueError(
            f"A tool is named {BATCH_NAME!r}, the name this package uses to make "
            "several tool calls at once (parallel_tool_calls=True): rename it."
        )
    if tool_choice is None or tool_choice == "auto" or tool_choice is False:
        if parallel and functions:  # no tools, nothing to batch
            batch = batch_function(functions, with_schemas=False)
            return Offer([*functions, batch], "auto", batch=frozenset(wires))
        return Offer(functions, "auto")
    if tool_choice == "none":
        return Offer(functions, "none")
    if tool_choice is True or tool_choice in _REQUIRED:
        if parallel:
            batch = batch_function(functions, with_schemas=True)
            return Offer([batch], {"name": BATCH_NAME}, batch=frozenset(wires))
        if len(functions) == 1:
            return Offer(functions, {"name": wires[0]})
        if DISPATCHER_NAME in wires:
            raise ValueError(
                f"A tool is named {DISPATCHER_NAME!r}, the name this package uses to "
                "require one of several tools: rename it."
            )
        return Offer(
            [_dispatcher(functions)], {"name": DISPATCHER_NAME}, dispatcher=frozenset(wires)
        )
    if isinstance(tool_choice, dict):
        # OpenAI tool dict {"type": "function", "function": {"name": …}} or {"name": …}
        tool_choice = (tool_choice.get("function") or tool_choice).get("name")
    if isinstance(tool_choice, str):
        if tool_choice not in names:
            raise ValueError(f"tool_choice {tool_choice!r} names none of the bound tools {names}.")
        return Offer(functions, {"name": wires[names.index(tool_choice)]})
    raise ValueError(
        f"tool_choice {tool_choice!r} is not understood: use 'auto', 'none', 'any', "
        "'required', True, a tool's name, or {'type': 'function', 'function': "
        "{'name': …}}."
    )


def _dispatcher(functions: list[FunctionDefinition]) -> FunctionDefinition:
    from langchain_core.utils.json_schema import dereference_refs

    properties: dict[str, Any] = {}
    lines = []
    for function in functions:
        # Nested under the dispatcher, a tool's `#/$defs/...` refs would point at
        # the dispatcher's root: inline them.
        schema = dereference_refs(dict(function["parameters"]))
        schema.pop("$defs", None)
        schema.pop("definitions", None)
        if "description" in function:
            schema["description"] = function["description"]
            lines.append(f"- {function['name']}: {function['description']}")
        else:
            lines.append(f"- {function['name']}")
        properties[function["name"]] = schema
    return {
        "name": DISPATCHER_NAME,
        "description": "Call exactly one of these tools by setting exactly one "
        "property, named after the tool, to that tool's arguments:\n" + "\n".join(lines),
        "parameters": {
            "type": "object",
            "properties": properties,
            "minProperties": 1,
            "maxProperties": 1,
        },
    }
