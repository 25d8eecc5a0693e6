"""Strictness of `messages`, `functions` and the request's `function_call`.

The API has no `tool` role, no `tool_calls`/`tool_call_id`: a call is one
`function_call` {name, arguments (a JSON string)} on an assistant message, and
its result is a `function` message with the function's `name`.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_mashagpt.testing._errors import fail, kind

__all__ = ["validate_function_call", "validate_functions", "validate_messages"]

_MESSAGE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ROLES = ("system", "user", "assistant", "function")


def validate_messages(value: object) -> list[dict[str, Any]]:
    """Check `messages`: roles, content, names and function calls."""
    if not isinstance(value, list):
        fail("messages", f"`messages` is required and must be an array, not {kind(value)}.")
    if not value:
        fail("messages", "`messages` must contain at least one message.")
    for index, message in enumerate(value):
        _message(f"messages[{index}]", message)
    return value


def _message(where: str, message: object) -> None:
    if not isinstance(message, dict):
        fail(where, f"`{where}` must be an object, not {kind(message)}.")
    role = message.get("role")
    if role == "tool":
        fail(
            f"{where}.role",
            "The MashaGPT API has no `tool` role: send a function's result as "
            '{"role": "function", "name": <function name>, "content": <result>}.',
        )
    if role not in _ROLES:
        fail(f"{where}.role", f"`{where}.role` must be one of {', '.join(_ROLES)}; got {role!r}.")
    for key in message:
        if key in ("tool_calls", "tool_call_id"):
            fail(
                f"{where}.{key}",
                f"The MashaGPT API has no `{key}`: an assistant message carries one "
                "`function_call` {name, arguments}, and a result is a `function` message.",
            )
        if key not in ("role", "content", "name", "function_call"):
            fail(f"{where}.{key}", f"Unrecognized field `{key}` in `{where}`.")
    if "function_call" in message:
        if role != "assistant":
            fail(f"{where}.function_call", "`function_call` is only allowed on assistant messages.")
        _message_function_call(f"{where}.function_call", message["function_call"])
    if "content" not in message:
        fail(
            f"{where}.content",
            f"`{where}.content` is required (use null only on an "
            "assistant message carrying `function_call`).",
        )
    content = message["content"]
    if content is None:
        if "function_call" not in message:
            fail(
                f"{where}.content",
                f"`{where}.content` may be null only on an assistant "
                "message carrying `function_call`.",
            )
    elif not isinstance(content, str):
        fail(
            f"{where}.content",
            f"`{where}.content` must be a string (the API is text-only), not {kind(content)}.",
        )
    name = message.get("name")
    if role == "function" and name is None:
        fail(f"{where}.name", "A `function` message requires `name`: the function's name.")
    if name is not None and not (isinstance(name, str) and _MESSAGE_NAME.fullmatch(name)):
        fail(f"{where}.name", f"`{where}.name` must match ^[A-Za-z0-9_]{{1,64}}$; got {name!r}.")


def _message_function_call(where: str, call: object) -> None:
    if not isinstance(call, dict) or set(call) != {"name", "arguments"}:
        fail(where, f"`{where}` must be an object with exactly `name` and `arguments`.")
    name = call["name"]
    if not (isinstance(name, str) and _FUNCTION_NAME.fullmatch(name)):
        fail(f"{where}.name", f"`{where}.name` must match ^[A-Za-z0-9_-]{{1,64}}$.")
    if not isinstance(call["arguments"], str):
        fail(
            f"{where}.arguments",
            f"`{where}.arguments` must be a JSON *string*, not {kind(call['arguments'])}.",
        )


def validate_functions(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Check `functions` (names, uniqueness, JSON Schema parameters); [] when absent."""
    if "functions" not in body:
        return []
    functions = body["functions"]
    if not isinstance(functions, list) or not functions:
        fail(
            "functions", "`functions` must be a non-empty array of {name, description, parameters}."
        )
    seen: set[str] = set()
    for index, function in enumerate(functions):
        where = f"functions[{index}]"
        if not isinstance(function, dict):
            fail(where, f"`{where}` must be an object.")
        for key in function:
            if key not in ("name", "description", "parameters"):
                fail(f"{where}.{key}", f"Unrecognized field `{key}` in `{where}`.")
        name = function.get("name")
        if not (isinstance(name, str) and _FUNCTION_NAME.fullmatch(name)):
            fail(
                f"{where}.name",
                f"`{where}.name` is required and must match ^[A-Za-z0-9_-]{{1,64}}$; got {name!r}.",
            )
        if name in seen:
            fail(f"{where}.name", f"Duplicate function name {name!r}.")
        seen.add(name)
        if not isinstance(function.get("description", ""), str):
            fail(f"{where}.description", f"`{where}.description` must be a string.")
        _parameters(f"{where}.parameters", function.get("parameters"))
    return functions


def _parameters(where: str, schema: object) -> None:
    if not isinstance(schema, dict):
        fail(
            where,
            f"`{where}` is required: a JSON Schema object (use "
            '{"type": "object", "properties": {}} for no parameters).',
        )
    if schema.get("type") != "object":
        fail(where, f'`{where}` must be a JSON Schema with "type": "object".')
    if not isinstance(schema.get("properties", {}), dict):
        fail(f"{where}.properties", f"`{where}.properties` must be an object.")
    required = schema.get("required", [])
    if not (isinstance(required, list) and all(isinstance(item, str) for item in required)):
        fail(f"{where}.required", f"`{where}.required` must be an array of strings.")


def validate_function_call(
    body: dict[str, Any], functions: list[dict[str, Any]]
) -> str | dict[str, str]:
    """Check the request's `function_call` and return it, defaulted."""
    if "function_call" not in body:
        return "auto" if functions else "none"
    value = body["function_call"]
    if not functions:
        fail("function_call", "`function_call` is only allowed together with `functions`.")
    if value in ("none", "auto"):
        return str(value)
    if isinstance(value, dict) and set(value) == {"name"} and isinstance(value["name"], str):
        names = [function["name"] for function in functions]
        if value["name"] not in names:
            fail(
                "function_call",
                f"`function_call` names {value['name']!r}, which is not in "
                f"`functions` ({', '.join(names)}).",
            )
        return {"name": value["name"]}
    fail(
        "function_call",
        f'`function_call` must be "none", "auto" or {{"name": <function name>}}; got {value!r}.',
    )
