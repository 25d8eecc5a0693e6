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

`WireNames` gives one request's functions their wire names (refusing two names
that would share one) before anything is built from them, and its `renamed`
map becomes `CallPlan.user_names`, so answers carry only the user's names.

An author name (`name` on a user, system or assistant message) the API refuses
is sanitised the same readable way, without a digest, or left out when nothing
readable is left.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping

from langchain_mashagpt._wire import FunctionDefinition

__all__ = ["WireNames", "author_name", "is_wire_safe", "wire_name"]

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


class WireNames:
    """One request's user name → wire name map, each wire name checked against the others.

    The builder (`_functions.build`) passes every function through `wire` before
    it builds anything from them, so whatever it builds names the wire names.
    """

    def __init__(self) -> None:
        """An empty map."""
        self._users: dict[str, str] = {}

    def wire(self, name: str) -> str:
        """The wire name of the user's `name`, remembered for the way back.

        Raises:
            ValueError: Another of the request's names already goes by that wire name.
        """
        wire = wire_name(name)
        if self._users.setdefault(wire, name) != name:
            raise ValueError(
                f"The tool names {self._users[wire]!r} and {name!r} both go on the wire as "
                f"{wire!r}: rename one of them."
            )
        return wire

    def wire_function(self, function: FunctionDefinition) -> FunctionDefinition:
        """A copy of `function` under its wire name (`function` itself is not changed)."""
        return {**function, "name": self.wire(function.get("name") or "")}

    @property
    def users(self) -> Mapping[str, str]:
        """Wire name → the user's name, of every name seen (unchanged ones too)."""
        return self._users

    def renamed(self) -> dict[str, str]:
        """Wire name → the user's name, of the names that had to change: `CallPlan.user_names`."""
        return {wire: name for wire, name in self._users.items() if wire != name}
