"""A binding's tools in LangChain's canonical form, and their one translation to `functions`. Pure.

`bind_tools` binds what `ChatOpenAI.bind_tools` binds (`tool_binding`):

- `tools`: OpenAI tool dicts `{"type": "function", "function": {…}}`;
- `tool_choice`, when given: `"auto"`, `"none"`, `"required"` (for `"any"` and
  `True`) or `{"type": "function", "function": {"name": …}}` (for a tool's name);
- `parallel_tool_calls`, when given or set on the model.

Code that reads a binding sees the tools: LangGraph's `create_react_agent` and
langgraph-supervisor's `create_supervisor` look for `tools` in a pre-bound
model's binding to decide whether to bind the tools again (which would drop the
binding's `tool_choice` and `parallel_tool_calls`).

The API has no `tools`. `_functions.build.build_functions`, called by
`build_payload` for every request, gives them their wire names and turns them
into `functions` and `function_call`: the forced function, the `select_tool`
dispatcher or the batch function, as `_functions.schemas` describes. This is
the only place where that happens, whether the tools came from `bind_tools`,
from `bind(tools=…)` (as `create_openai_tools_agent` binds them) or per call;
`functions` bound as they go on the wire (`bind(functions=…)`, functions-era
code) pass through it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_mashagpt._functions.schemas import function_call_for, functions_for

__all__ = ["tool_binding"]


def tool_binding(
    tools: Sequence[Any],
    tool_choice: Any,
    parallel_tool_calls: bool | None,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """The keyword arguments `bind_tools` binds, checked now as a request would check them.

    Args:
        tools: The tools of every accepted kind.
        tool_choice: As `ChatMashaGPT.bind_tools` takes it.
        parallel_tool_calls: Whether to offer the batch function; `None` leaves
            it out of the binding.
        kwargs: Further parameters bound with the tools.

    Raises:
        ValueError: As `functions_for` and `function_call_for`, before anything
            is bound.
    """
    from langchain_core.utils.function_calling import convert_to_openai_tool

    functions = functions_for(tools)
    function_call_for(tool_choice, functions, parallel=bool(parallel_tool_calls))
    binding = {**kwargs, "tools": [convert_to_openai_tool(tool) for tool in tools]}
    if (choice := _canonical_choice(tool_choice)) is not None:
        binding["tool_choice"] = choice
    if parallel_tool_calls is not None:
        binding["parallel_tool_calls"] = parallel_tool_calls
    return binding


def _canonical_choice(tool_choice: Any) -> Any:
    """`tool_choice` as `ChatOpenAI` binds it; `None` when nothing is to be bound."""
    if tool_choice is None or tool_choice is False:
        return None
    if tool_choice is True or tool_choice in ("any", "required"):
        return "required"
    if isinstance(tool_choice, str) and tool_choice not in ("auto", "none"):
        return {"type": "function", "function": {"name": tool_choice}}
    return tool_choice
