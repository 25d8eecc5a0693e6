"""OpenAI's `response_format` → one more function whose call is the answer's text. Pure.

The API has no `response_format`; LangChain v1's `create_agent` binds one for
"provider-native" structured output (`ProviderStrategy`, and plain
`response_format=Schema` on models it believes support it):

- `{"type": "json_schema", "json_schema": {"name", "schema", …}}`, or a pydantic
  class, TypedDict or JSON schema given directly: with no tools bound, one
  function whose parameters are the schema, forced; with tools bound, that
  function beside them under their `function_call` (`auto`), so the model can
  still call tools first.
- `{"type": "json_object"}`: nothing is sent — JSON mode as
  `with_structured_output(method="json_mode")` does it: the prompt asks for JSON
  and the text answer is parsed.
- `{"type": "text"}`: nothing is sent.

A call of the schema function comes back as the message's text content (its
JSON arguments), not as a tool call: `CallPlan.text_function` names it.
`schema_function` makes the function; `_functions.build` places it.
"""

from __future__ import annotations

from typing import Any

from langchain_mashagpt._functions.schemas import functions_for
from langchain_mashagpt._wire import FunctionDefinition

__all__ = ["schema_function"]


def schema_function(response_format: Any) -> FunctionDefinition | None:
    """The function for `response_format` (under the user's name), or `None` when nothing is sent.

    `_functions.build` gives it its wire name and places it beside the tools.

    Raises:
        ValueError: A `response_format` of an unknown form.
    """
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("json_schema", "json_object", "text") or (kind is not None and kind != "object"):
        if kind in ("json_object", "text"):
            return None
        spec = response_format.get("json_schema")
        if kind != "json_schema" or not isinstance(spec, dict) or not spec.get("name"):
            raise ValueError(
                f"response_format {response_format!r} is not understood: use "
                '{"type": "json_schema", "json_schema": {"name": …, "schema": {…}}}, '
                '{"type": "json_object"}, or a pydantic class, TypedDict or JSON schema.'
            )
        function = {
            "name": spec["name"],
            "parameters": spec.get("schema") or {"type": "object", "properties": {}},
        }
        if spec.get("description"):
            function["description"] = spec["description"]
        response_format = function
    return functions_for([response_format])[0]
