"""The one builder of a request's `functions` and `function_call`, and of its `CallPlan`. Pure.

`build_functions` runs once per request (`_convert.request.build_payload`),
in one order, as httpx's `build_request` builds a request once:

1. what the request binds is read: `functions` bound as they go on the wire
   (`bind(functions=…)`, functions-era code), `function_call`, `tools`,
   `tool_choice`, `parallel_tool_calls` and `response_format`;
2. every function gets its wire name (`WireNames`), before anything is built
   from it;
3. the tools are wrapped (`schemas.offer`): the forced function, the
   `select_tool` dispatcher or the batch function, written with the wire names;
4. the `response_format` function joins them (`response_format.schema_function`);
5. the `CallPlan` is taken from what steps 2 to 4 made: the names back to the
   user's, the tools behind the dispatcher or the batch function, the function
   whose call is text. Nothing is read back out of the payload, and a function
   of the user's that happens to be called `select_tool` is just a function.

Functions bound as they go on the wire pass through unchanged, but for their
names, unless `tools`, `tool_choice` or `parallel_tool_calls=True` come with
them: then they are offered as the tools are, beside them.
"""

from __future__ import annotations

from typing import Any

from langchain_mashagpt._functions.names import WireNames, wire_name
from langchain_mashagpt._functions.plan import CallPlan
from langchain_mashagpt._functions.response_format import schema_function
from langchain_mashagpt._functions.schemas import Offer, clean_descriptions, functions_for, offer

__all__ = ["build_functions"]


def build_functions(payload: dict[str, Any]) -> CallPlan:
    """Put the wire `functions` and `function_call` into `payload`, in place; return its plan.

    `payload` is a request body without `messages` yet; `tools`, `tool_choice`,
    `parallel_tool_calls` and `response_format` are taken out of it, as the API
    has none of them.

    Raises:
        ValueError: As `functions_for`, `offer` and `schema_function`; a
            `response_format` named like a function sent beside it; or two
            names that go on the wire as one.
    """
    clean_descriptions(payload)
    names = WireNames()
    parallel = bool(payload.pop("parallel_tool_calls", None))
    dispatcher = batch = frozenset[str]()
    if "tools" in payload or "tool_choice" in payload or parallel:
        offered = _offer_tools(payload, names, parallel)
        dispatcher, batch = offered.dispatcher, offered.batch
    else:
        _keep_functions(payload, names)
    text_function = None
    if "response_format" in payload:
        text_function = _add_response_format(payload, payload.pop("response_format"), names)
    return CallPlan(names.renamed(), dispatcher, text_function, batch)


def _offer_tools(payload: dict[str, Any], names: WireNames, parallel: bool) -> Offer:
    """The bound functions and tools, renamed, then wrapped for `tool_choice`."""
    functions = [*(payload.pop("functions", None) or ()), *functions_for(payload.pop("tools", ()))]
    choice = payload.pop("tool_choice", None)
    if choice is None and "function_call" in payload:
        choice = payload.pop("function_call")
        if isinstance(choice, dict):
            choice = choice.get("name")
    wired = [names.wire_function(function) for function in functions]
    offered = offer(choice, wired, parallel=parallel, user_names=names.users)
    if offered.functions:
        payload["functions"] = offered.functions
        payload["function_call"] = offered.function_call
    else:
        _wire_function_call(payload)
    return offered


def _keep_functions(payload: dict[str, Any], names: WireNames) -> None:
    """The functions bound as they go on the wire, left as they are but for their names."""
    if functions := payload.get("functions"):
        payload["functions"] = [names.wire_function(function) for function in functions]
    _wire_function_call(payload)


def _wire_function_call(payload: dict[str, Any]) -> None:
    """A bound `function_call` naming a function by the user's name, under its wire name."""
    forced = payload.get("function_call")
    if isinstance(forced, dict) and isinstance(forced.get("name"), str):
        payload["function_call"] = {**forced, "name": wire_name(forced["name"])}


def _add_response_format(
    payload: dict[str, Any], response_format: Any, names: WireNames
) -> str | None:
    """Add the `response_format` function to `payload`; return its wire name (`None`: none added).

    Beside functions it leaves their `function_call` (`"auto"` when none);
    alone it is forced.
    """
    function = schema_function(response_format)
    if function is None:
        return None
    wire = wire_name(function["name"])
    functions = list(payload.get("functions") or ())
    if any(f.get("name") == wire for f in functions):
        raise ValueError(
            f"response_format {function['name']!r} has the name of a bound tool: "
            "rename the schema or the tool."
        )
    wired = names.wire_function(function)
    if functions:
        payload.setdefault("function_call", "auto")
    else:
        payload["function_call"] = {"name": wire}
    payload["functions"] = [*functions, wired]
    return wire
