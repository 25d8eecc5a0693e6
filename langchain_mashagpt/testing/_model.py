"""The default rule-based "model": small, readable and deterministic.

`answer(request)` looks at the request and picks the first rule that applies:

1. `function_call: {"name": X}` forces a call of X, with arguments generated
   from X's schema and the latest user text (see `_args`).
2. With `functions` and `function_call: "auto"`, when the latest message is a
   user message that names a function (`magic_function(3)`), asks for a tool
   (`use the tool`, `инструмент`), or shares a word with a function's name
   (`weather` -> `get_weather`), the best-matching function is called.
   When that text asks the one function about several things (`the weather in
   Moscow and in Paris`, see `split_subjects`) and the batch function
   `multi_tool_use_parallel` is offered too, the answer is ONE call of the batch
   function with one `tool_uses` item per thing; without it, the first thing
   is called now and the next after each result, one call per answer.
   Forced, the batch function gets one item per thing as well.
3. When the latest message is a `function` result, the answer uses it:
   `The result of magic_function is 5.` (or reports the error it contains);
   after the results of all the things of a request about several, it uses
   each of them in turn.
4. Otherwise the latest user text is answered by the first competence that
   fits: a greeting (`Hello! How can I help you today?`; in Russian for a
   Russian greeting), `how are you`, arithmetic (`what is 2+2` -> `2 + 2 = 4.`),
   repeat/echo requests (`Repeat after me: ...`), a JSON request (an object
   with the quoted keys), a joke, and else a generic reply quoting the
   question (in Russian when the question is in Russian).

With `n > 1`, choice `k > 0` of a text answer is prefixed with
`Variant k+1: `, so choices are distinct; a function call is the same in all.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from langchain_mashagpt._profiles import _entry
from langchain_mashagpt.testing._args import (
    excerpt,
    generate_arguments,
    relevance,
    split_subjects,
)
from langchain_mashagpt.testing._render import FunctionCall, Output, dumps
from langchain_mashagpt.testing._validate import ChatRequest

__all__ = ["BATCH_NAME", "answer", "reply_to_text"]

BATCH_NAME = "multi_tool_use_parallel"
"""The batch function's name: its call holds several calls (`tool_uses`)."""

_TOOL_REQUEST = re.compile(
    r"\b(?:use|using|call|with) (?:the |a |your )?(?:tool|function)s?\b|инструмент|функци",
    re.IGNORECASE,
)
_RU_GREETING = re.compile(r"^\W*(?:привет|здравствуй|добрый (?:день|вечер)|доброе утро)", re.I)
_EN_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|greetings|good (?:morning|afternoon|evening))\b", re.I
)
_HOW_ARE_YOU = re.compile(r"\bhow are you\b", re.I)
_ARITHMETIC = re.compile(r"[\d(][\d\s.+\-*/×÷()]*[\d)]")
_REPEAT = re.compile(
    r"\b(?:repeat(?: after me)?|say|echo|повтори(?: за мной)?|скажи)\s*:?\s+(.+)$", re.I | re.S
)
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def answer(request: ChatRequest) -> list[Output]:
    """Answer a validated request: one `Output` per choice (`n`).

    A reasoning model that returns its thinking (`returns_reasoning`) says
    how it read the request in `reasoning`.
    """
    output = _answer_one(request)
    if returns_reasoning(request.model):
        output = replace(output, reasoning=_thinking(request, output))
    if output.function_call is not None:
        return [output] * request.n
    text = output.content or ""
    return [
        replace(output, content=text if k == 0 else f"Variant {k + 1}: {text}")
        for k in range(request.n)
    ]


def returns_reasoning(model: str) -> bool:
    """Whether `model` answers with `reasoning_content`: DeepSeek's reasoning models.

    Read from the model profiles (`data/profiles.json`): `reasoning_output` and
    source `deepseek`, e.g. `deepseek-reasoner`.
    """
    entry = _entry(model)
    return bool(entry.get("reasoning_output")) and entry.get("source") == "deepseek"


def _thinking(request: ChatRequest, output: Output) -> str:
    what = f"call {output.function_call.name}" if output.function_call else "answer in text"
    return f"The last message is a {request.messages[-1]['role']} message; I {what}."


def _answer_one(request: ChatRequest) -> Output:
    last = request.messages[-1]
    turn = _since_last_user(request.messages)
    user_text = turn[0]["content"] if turn and turn[0]["role"] == "user" else ""
    by_name = {function["name"]: function for function in request.functions}
    batch = by_name.pop(BATCH_NAME, None)
    tools = {**_batch_schemas(batch), **by_name}
    mode = request.function_call
    if isinstance(mode, dict) and mode["name"] == BATCH_NAME:
        chosen = _choose_function(user_text, list(tools.values()))
        chosen = chosen or next(iter(tools.values()), None)
        if batch is None or chosen is None:  # a batch function of the user's own making
            return _call(batch or {}, user_text)
        return _batch_call(chosen, split_subjects(user_text))
    if isinstance(mode, dict):
        return _call(by_name[mode["name"]], user_text)
    if mode == "auto" and last["role"] in ("user", "function"):
        chosen = _choose_function(user_text, list(by_name.values()))
        subjects = split_subjects(user_text)
        made = _calls_made(turn, chosen["name"]) if chosen else 0
        if chosen is not None and last["role"] == "user" and batch and len(subjects) > 1:
            return _batch_call(chosen, subjects)
        if chosen is not None and (last["role"] == "user" or 0 < made < len(subjects)):
            return _call(chosen, subjects[made])
    if last["role"] == "function":
        results = [m for m in turn if m["role"] == "function"][-max(len(_subjects(turn)), 1) :]
        return Output(" ".join(_use_result(m["name"], m["content"] or "") for m in results))
    if last["role"] == "assistant":
        return Output("Is there anything else I can help you with?")
    return Output(reply_to_text(last["content"] or ""))


def _since_last_user(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages from the latest user message on (all of them if there is none)."""
    starts = [k for k, m in enumerate(messages) if m["role"] == "user"]
    return messages[starts[-1] if starts else 0 :]


def _subjects(turn: list[dict[str, Any]]) -> list[str]:
    return split_subjects(turn[0]["content"] or "") if turn and turn[0]["role"] == "user" else []


def _calls_made(turn: list[dict[str, Any]], name: str) -> int:
    """How many calls of `name` the assistant made in `turn`, batch items included."""
    made = 0
    for message in turn:
        call = message.get("function_call")
        if message["role"] != "assistant" or not call:
            continue
        if call["name"] == name:
            made += 1
        elif call["name"] == BATCH_NAME:
            try:
                uses = json.loads(call["arguments"]).get("tool_uses") or []
                made += sum(isinstance(u, dict) and u.get("recipient_name") == name for u in uses)
            except (AttributeError, ValueError):
                continue
    return made


def _batch_schemas(batch: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each tool the batch function can call, as a function definition.

    A batch function sent alone carries each tool's schema (an `anyOf` branch
    per `recipient_name`); one sent beside the tools only names them.
    """
    if batch is None:
        return {}
    try:
        item = batch["parameters"]["properties"]["tool_uses"]["items"]
        names = item["properties"]["recipient_name"]["enum"]
    except (KeyError, TypeError):
        return {}
    schemas: dict[str, dict[str, Any]] = {name: {"name": name} for name in names}
    for branch in item.get("anyOf", []):
        properties = branch.get("properties", {})
        name = properties.get("recipient_name", {}).get("const")
        if name in schemas:
            schemas[name]["parameters"] = properties.get("parameters", {})
    return schemas


def _call(function: dict[str, Any], text: str) -> Output:
    arguments = generate_arguments(function.get("parameters", {}), text)
    return Output(None, FunctionCall(function["name"], dumps(arguments)))


def _batch_call(function: dict[str, Any], texts: list[str]) -> Output:
    """One call of the batch function: `function` once per text."""
    schema = function.get("parameters", {})
    uses = [
        {"recipient_name": function["name"], "parameters": generate_arguments(schema, text)}
        for text in texts
    ]
    return Output(None, FunctionCall(BATCH_NAME, dumps({"tool_uses": uses})))


def _choose_function(text: str, functions: list[dict[str, Any]]) -> dict[str, Any] | None:
    best, best_score = None, 0
    for function in functions:
        score = relevance(function["name"], text)
        if score > best_score:
            best, best_score = function, score
    if best is None and functions and _TOOL_REQUEST.search(text):
        best = functions[0]
    return best


def _use_result(name: str, content: str) -> str:
    result = content.strip()
    try:
        parsed = json.loads(result)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and len(parsed) == 1:
        result = dumps(next(iter(parsed.values())))
    if result.lower().startswith("error"):
        return f"The function {name} failed: {result} Please check the arguments and try again."
    return f"The result of {name} is {excerpt(result, 40)}."


def reply_to_text(text: str) -> str:
    """Answer a plain user text with the small canned competences (see above)."""
    stripped = text.strip()
    russian = bool(_CYRILLIC.search(stripped))
    if not stripped:
        return "I received an empty message. What would you like to ask?"
    if _RU_GREETING.search(stripped):
        return "Привет! Чем могу помочь?"
    if _EN_GREETING.search(stripped):
        return "Hello! How can I help you today?"
    if _HOW_ARE_YOU.search(stripped):
        return "I'm doing well, thank you! How can I help you today?"
    repeated = _REPEAT.search(stripped)
    if repeated:
        return repeated.group(1).strip().strip("\"'«»“”")
    computed = _arithmetic(stripped)
    if computed is not None:
        return computed
    if "json" in stripped.lower():
        keys = re.findall(r"'(\w+)'|\"(\w+)\"", stripped)
        names = [a or b for a, b in keys] or ["answer"]
        schema = {"type": "object", "properties": {k: {"type": "string"} for k in names}}
        return dumps(generate_arguments(schema, stripped))
    if re.search(r"\bjoke\b|анекдот|шутк", stripped, re.I):
        schema = {"type": "object", "properties": {"setup": {}, "punchline": {}}}
        joke = generate_arguments(schema, stripped)
        return f"{joke['setup']} {joke['punchline']}"
    if russian:
        return f"Вы написали: «{excerpt(stripped)}». Это ответ эмулятора MashaGPT."
    return f'You said: "{excerpt(stripped)}". This is a reply from the MashaGPT emulator.'


def _arithmetic(text: str) -> str | None:
    for match in _ARITHMETIC.finditer(text):
        expression = match.group(0).replace("×", "*").replace("÷", "/").strip()
        if not re.search(r"\d\s*[-+*/]\s*[\d(]", expression):
            continue
        try:
            value = _evaluate(ast.parse(expression, mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError):
            continue
        pretty = re.sub(r"(?<=[\d)])\s*([-+*/])\s*", r" \1 ", expression)
        shown = int(value) if float(value).is_integer() else round(value, 6)
        return f"{pretty} = {shown}."
    return None


def _evaluate(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        result: float = _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
        return result
    raise ValueError("not arithmetic")
