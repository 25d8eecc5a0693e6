"""The default rule-based "model": small, readable and deterministic.

`answer(request)` looks at the request and picks the first rule that applies:

1. `function_call: {"name": X}` forces a call of X, with arguments generated
   from X's schema and the latest user text (see `_args`).
2. With `functions` and `function_call: "auto"`, when the latest message is a
   user message that names a function (`magic_function(3)`), asks for a tool
   (`use the tool`, `инструмент`), or shares a word with a function's name
   (`weather` -> `get_weather`), the best-matching function is called.
3. When the latest message is a `function` result, the answer uses it:
   `The result of magic_function is 5.` (or reports the error it contains).
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
from typing import Any

from langchain_mashagpt.testing._args import excerpt, generate_arguments, relevance
from langchain_mashagpt.testing._render import FunctionCall, Output, dumps
from langchain_mashagpt.testing._validate import ChatRequest

__all__ = ["answer", "reply_to_text"]

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
    """Answer a validated request: one `Output` per choice (`n`)."""
    output = _answer_one(request)
    if output.function_call is not None:
        return [output] * request.n
    text = output.content or ""
    return [Output(text if k == 0 else f"Variant {k + 1}: {text}") for k in range(request.n)]


def _answer_one(request: ChatRequest) -> Output:
    last = request.messages[-1]
    user_text = next((m["content"] for m in reversed(request.messages) if m["role"] == "user"), "")
    by_name = {function["name"]: function for function in request.functions}
    mode = request.function_call
    if isinstance(mode, dict):
        return _call(by_name[mode["name"]], user_text)
    if mode == "auto" and last["role"] == "user":
        chosen = _choose_function(last["content"], request.functions)
        if chosen is not None:
            return _call(chosen, last["content"])
    if last["role"] == "function":
        return Output(_use_result(last["name"], last["content"] or ""))
    if last["role"] == "assistant":
        return Output("Is there anything else I can help you with?")
    return Output(reply_to_text(last["content"] or ""))


def _call(function: dict[str, Any], text: str) -> Output:
    arguments = generate_arguments(function.get("parameters", {}), text)
    return Output(None, FunctionCall(function["name"], dumps(arguments)))


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
