"""User names ⇄ wire-safe names. Pure; no I/O.

The API takes function names of `[A-Za-z0-9_-]{1,64}` but function-*message*
names of `[A-Za-z0-9_]{1,64}`, and a function result's name must equal its
function's. MCP servers and agent frameworks use names like
`resolve-library-id`, `weather.get`, `погода` or longer than 64 characters, so
every name that is not valid as both goes on the wire as `wire_name(name)`:

- names already valid for both are sent unchanged;
- any other name becomes its readable part (Cyrillic transliterated, accents
  dropped, every other character `_`), cut to 53 characters, plus `_` and ten
  hex digits of the name's SHA-256 — deterministic (the same name maps the same
  way in `functions`, in the history's calls and in results, on every request)
  and, through the digest, distinct for distinct names; never longer than 64.

`CallPlan.user_names` maps the wire names of a request back, so answers carry
only the user's names. An author name (`name` on a user, system or assistant
message) the API refuses is sanitised the same readable way, without a digest,
or left out when nothing readable is left.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from langchain_mashagpt._functions.batch import BATCH_NAME, batch_tools, rename_recipients
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME

__all__ = ["author_name", "is_wire_safe", "rename_functions", "wire_name"]

_WIRE_SAFE = re.compile(r"[A-Za-z0-9_]{1,64}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_READABLE_LENGTH = 53  # + "_" + 10 hex digits = 64
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya i yi ye g u"
_CYRILLIC = {
    cyrillic: latin.strip("-")
    for cyrillic, latin in zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў", _LATIN.split(), strict=True
    )
}


def is_wire_safe(name: str) -> bool:
    """Whether `name` is valid both as a function name and as a function-message name."""
    return bool(_WIRE_SAFE.fullmatch(name))


def _readable(name: str) -> str:
    letters = []
    for char in name:
        low = char.lower()
        if low in _CYRILLIC:
            latin = _CYRILLIC[low]
            letters.append(latin.capitalize() if char != low else latin)
        else:
            letters.append(char)
    ascii_text = unicodedata.normalize("NFKD", "".join(letters)).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("_", ascii_text)


def wire_name(name: str) -> str:
    """The name `name` goes by on the wire: itself when the API takes it, else a safe twin."""
    if is_wire_safe(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    readable = _readable(name)[:_READABLE_LENGTH].strip("_")
    return f"{readable or 'fn'}_{digest}"


def author_name(name: str) -> str | None:
    """An author `name` the API takes: itself, its sanitised form, or `None` to leave it out."""
    if is_wire_safe(name):
        return name
    readable = re.sub("_+", "_", _readable(name)).strip("_")[:64]
    return readable or None


def rename_functions(payload: dict[str, Any]) -> dict[str, str]:
    """Put the wire names into `payload`'s `functions` and `function_call`, in place.

    The dispatcher's properties (one per tool) and the batch function's
    `recipient_name`s are renamed too. Returns the wire
    name → user name map of every renamed function, for `CallPlan.user_names`.

    Raises:
        ValueError: Two different names would share one wire name.
    """
    renamed: dict[str, str] = {}

    def rename(name: str) -> str:
        wire = wire_name(name)
        if renamed.setdefault(wire, name) != name:
            raise ValueError(
                f"The tool names {renamed[wire]!r} and {name!r} both go on the wire as "
                f"{wire!r}: rename one of them."
            )
        return wire

    functions = []
    for function in payload.get("functions") or ():
        function = {**function, "name": rename(function.get("name") or "")}
        properties = (function.get("parameters") or {}).get("properties")
        if function["name"] == DISPATCHER_NAME and isinstance(properties, dict):
            function["description"] = _listing(function.get("description"), properties, rename)
            function["parameters"] = {
                **function["parameters"],
                "properties": {rename(k): v for k, v in properties.items()},
            }
        if function["name"] == BATCH_NAME and isinstance(function.get("parameters"), dict):
            tools = batch_tools({"functions": [function]})
            function["description"] = _listing(function.get("description"), tools, rename)
            function["parameters"] = rename_recipients(function["parameters"], rename)
        functions.append(function)
    if functions:
        payload["functions"] = functions
    forced = payload.get("function_call")
    if isinstance(forced, dict) and isinstance(forced.get("name"), str):
        payload["function_call"] = {**forced, "name": wire_name(forced["name"])}
    return {wire: name for wire, name in renamed.items() if wire != name}


def _listing(description: Any, tools: Any, rename: Any) -> Any:
    """A wrapper function's description with its `- tool: …` lines naming wire names.

    The dispatcher and the batch function list their tools one per line; the
    model must copy the name it finds there, so it has to be the one on the wire.
    Only lines naming one of `tools` change, never the tools' own descriptions.
    """
    if not isinstance(description, str):
        return description
    lines = description.split("\n")
    for k, line in enumerate(lines):
        name, sep, rest = line[2:].partition(": ")
        if line.startswith("- ") and name in tools:
            lines[k] = f"- {rename(name)}{sep}{rest}"
    return "\n".join(lines)
