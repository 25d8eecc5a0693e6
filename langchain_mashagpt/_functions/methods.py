"""`bind_tools` and `with_structured_output`, written once for the model and its configurable twin.

`ChatMashaGPT` and `ConfigurableChatMashaGPT` (`_configurable`) offer the same
two methods, and both bind the object they are called on: the model itself, or
the configurable wrapper, so the model is still chosen per call. The one thing
they differ by is where a `bind_tools` without `parallel_tool_calls` takes it
from (`_default_parallel_tool_calls`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from langchain_core.language_models.base import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from langchain_mashagpt._functions.binding import tool_binding
from langchain_mashagpt._functions.structured import Method, structured_output

__all__ = ["FunctionMethods"]


class _Bindable(Protocol):
    """What the methods need of the object they are called on."""

    def bind(self, **kwargs: Any) -> Runnable[Any, Any]:
        """The runnable's own `bind` (langchain-core's)."""
        ...

    def _default_parallel_tool_calls(self) -> bool | None:
        """The `parallel_tool_calls` of a `bind_tools` that passes none."""
        ...


class FunctionMethods:
    """Mixin of `ChatMashaGPT` and `ConfigurableChatMashaGPT`: tools and structured output.

    A class that mixes it in defines `_default_parallel_tool_calls`.
    """

    def bind_tools(
        self: _Bindable,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as `ChatOpenAI` does; requests send them as `functions` (`docs/tools.md`).

        Args:
            tools: `@tool` functions, `BaseTool`s, pydantic models, TypedDicts,
                plain functions, or OpenAI tool/function dicts; any names.
            tool_choice: `None`/`"auto"`/`False` lets the model choose; `"none"`
                forbids calls; a tool's name (or an OpenAI tool-choice dict) forces
                that tool; `"any"`, `"required"` or `True` force a call of some tool.
            strict: Accepted; arguments are checked when parsed, not by the server.
            parallel_tool_calls: `True` offers one batch function whose call comes
                back as several tool calls; `None` takes the model's field (for a
                configurable model, its default model's).
            **kwargs: Further parameters bound with the tools.

        Raises:
            ValueError: A `tool_choice` that names no bound tool, or forces a
                call with no tools bound.
        """
        if parallel_tool_calls is None:
            parallel_tool_calls = self._default_parallel_tool_calls()
        return self.bind(**tool_binding(tools, tool_choice, parallel_tool_calls, kwargs))

    def with_structured_output(
        self: _Bindable,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Method = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable whose output follows `schema` (see `docs/structured-output.md`).

        Args:
            schema: A pydantic model, TypedDict, JSON schema or OpenAI function;
                may be `None` with `json_mode` (the parsed JSON is returned).
            method: `"function_calling"` (default) and `"json_schema"` force one
                function whose parameters are the schema; `"json_mode"` parses the
                text answer as JSON, so the prompt must ask for JSON.
            include_raw: Return `{"raw", "parsed", "parsing_error"}` instead of
                raising on a parsing error.
            strict: Accepted; a pydantic schema is validated when parsed.
            **kwargs: Not accepted.

        Raises:
            ValueError: Unknown arguments or method, or no schema where one is needed.
        """
        return structured_output(self, schema, method, include_raw, strict, kwargs)
