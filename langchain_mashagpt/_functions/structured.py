"""Parsers for `ChatMashaGPT.with_structured_output`.

The API has no `response_format`. `function_calling` (the default) and
`json_schema` both force one function whose parameters are the schema: that is
the only way the API constrains an answer's shape. `json_mode` sends nothing
extra and parses the text answer as JSON: the prompt must ask for JSON.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from operator import itemgetter
from typing import Any, Literal

from langchain_core.runnables import Runnable

__all__ = ["Method", "parser_for", "structured_output", "with_parser"]

Method = Literal["function_calling", "json_schema", "json_mode"]


def _is_pydantic(schema: Any) -> bool:
    from langchain_core.utils.pydantic import is_basemodel_subclass

    return isinstance(schema, type) and is_basemodel_subclass(schema)


def parser_for(schema: Any, method: Method, function_name: str) -> Runnable[Any, Any]:
    """The output parser for `schema` under `method`."""
    from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
    from langchain_core.output_parsers.openai_tools import (
        JsonOutputKeyToolsParser,
        PydanticToolsParser,
    )

    if method == "json_mode":
        if _is_pydantic(schema):
            return PydanticOutputParser(pydantic_object=schema)
        return JsonOutputParser()
    if _is_pydantic(schema):
        return PydanticToolsParser(tools=[schema], first_tool_only=True)
    return JsonOutputKeyToolsParser(key_name=function_name, first_tool_only=True)


def _check_finished(message: Any) -> None:
    """Raise `OutputParserException` when `message`'s answer was cut before its end."""
    from langchain_core.exceptions import OutputParserException

    from langchain_mashagpt._functions.plan import CUT_REASONS

    metadata = getattr(message, "response_metadata", None) or {}
    finish = metadata.get("finish_reason")
    if finish in CUT_REASONS:
        hint = (
            "raise max_tokens (or ask for less)"
            if finish == "length"
            else "change the request: the content filter stopped it"
        )
        raise OutputParserException(
            f"The answer was {CUT_REASONS[finish]} before the structured output was "
            f"complete, so there is nothing to parse: {hint}.",
            llm_output=getattr(message, "text", None),
        )


def _finished(chunks: Iterator[Any]) -> Iterator[Any]:
    """Pass the messages (or chunks) through; raise at the end if the answer was cut."""
    for chunk in chunks:
        yield chunk
        _check_finished(chunk)


async def _afinished(chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """`_finished`, async."""
    async for chunk in chunks:
        yield chunk
        _check_finished(chunk)


def _guarded(parser: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """`parser` behind a step that refuses an answer cut by `max_tokens` or the filter."""
    from langchain_core.runnables import RunnableGenerator

    return RunnableGenerator(_finished, _afinished, name="check_finished") | parser


def with_parser(
    llm: Runnable[Any, Any], parser: Runnable[Any, Any], include_raw: bool
) -> Runnable[Any, Any]:
    """`llm | parser`, or with `include_raw` a map of raw, parsed and parsing_error.

    An answer cut by `max_tokens` or the content filter is an
    `OutputParserException` saying so (its `parsing_error` with `include_raw`).
    """
    parser = _guarded(parser)
    if not include_raw:
        return llm | parser
    from langchain_core.runnables import RunnableMap, RunnablePassthrough

    parse = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([no_parse], exception_key="parsing_error")


def structured_output(
    model: Any,
    schema: Any,
    method: Method,
    include_raw: bool,
    strict: bool | None,
    kwargs: dict[str, Any],
) -> Runnable[Any, Any]:
    """`ChatMashaGPT.with_structured_output`: `model` bound for `schema`, and its parser.

    Raises:
        ValueError: Unknown arguments or method, or no schema where one is needed.
    """
    from langchain_mashagpt._functions.schemas import functions_for

    if kwargs:
        raise ValueError(f"Received unsupported arguments {kwargs}")
    if method not in ("function_calling", "json_schema", "json_mode"):
        raise ValueError(
            f"method {method!r} is not one of 'function_calling', 'json_schema', 'json_mode'."
        )
    trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
    if method == "json_mode":
        plain = model.bind(ls_structured_output_format=trace)
        return with_parser(plain, parser_for(schema, method, ""), include_raw)
    if schema is None:
        raise ValueError(f"method={method!r} needs a schema.")
    name = functions_for([schema])[0]["name"]
    llm = model.bind_tools([schema], tool_choice=name, ls_structured_output_format=trace)
    return with_parser(llm, parser_for(schema, method, name), include_raw)
