"""Function-call arguments generated from a JSON Schema and the user's text.

`generate_arguments(schema, text)` returns an object that validates against
`schema` (types, `required`, `enum`/`const`, nested objects and arrays,
`anyOf`/`oneOf`/`allOf`, `$ref` into `$defs`/`definitions`, numeric bounds,
`minItems`, `minLength`/`maxLength`), filled from hints found in `text`:

* numbers in the text go, in order, to numeric fields (`magic_function(3)` ->
  `{"input": 3}`; `What is 3 + 4` -> `{"a": 3, "b": 4}`); an array of numbers
  takes all the numbers left;
* quoted strings (`'...'`, `"..."`, `«...»`, `“...”`) go, in order, to string
  fields; then capitalised phrases in mid-sentence (`San Francisco, CA`,
  `Pirate`); then a short excerpt of the text;
* an `enum` takes the first member mentioned in the text, else its first;
* `setup`/`punchline` fields get a small joke; booleans are `false` unless a
  default says otherwise;
* optional properties are included unless the text says `no <property>` or
  `without <property>`; with `maxProperties` the most relevant ones are kept
  (the property named in the text, else schema order), so a "pick one of
  these" object (`minProperties`/`maxProperties` 1) gets exactly one.

Nothing is random: the same schema and text always give the same arguments.

`split_subjects(text)` finds one request about several things ("the weather in
Moscow and in Paris", "… Moscow, Paris and Berlin", "в Москве и в Париже") and
returns one text per thing, so each call's arguments come from its own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["excerpt", "generate_arguments", "nominative", "relevance", "split_subjects"]

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)|\"([^\"\n]+)\"|«([^»\n]+)»|“([^”\n]+)”")
_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁ][\w'-]*(?:(?:, | )[A-ZА-ЯЁ][\w'-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;(\[]\s*)$")
_SUBJECT = r"(?<!\w)[A-ZА-ЯЁ][\w'-]*(?: [A-ZА-ЯЁ][\w'-]*)*"
_PREPOSITION = r"(?:(?:in|at|for|of|from|to|в|во|на|для|из) )?"
_AND = r"\s+(?:and|и|&)\s+"
_SEPARATOR = rf"(?:,\s*(?:(?:and|и) )?|{_AND})"
# Several capitalised subjects, the last joined by "and" (so "San Francisco, CA"
# stays one subject).
_LAST_SEPARATOR = rf"(?:,?{_AND}|,\s*(?:and|и) )"
_ENUMERATION = re.compile(
    rf"{_SUBJECT}(?:,\s*{_PREPOSITION}{_SUBJECT})*{_LAST_SEPARATOR}{_PREPOSITION}{_SUBJECT}"
)
_MAX_DEPTH = 8
# Russian stems of the English parts of tool names, so that a question in Russian asks for
# the same tool ("Какая погода в Москве?" -> get_weather): a word that starts with a stem counts.
_RUSSIAN_PARTS: dict[str, tuple[str, ...]] = {
    "weather": ("погод",),
    "forecast": ("прогноз",),
    "temperature": ("температур",),
    "time": ("время", "времен", "который час"),
    "search": ("найд", "найти", "поиск", "ищ"),
    "multiply": ("умнож",),
    "add": ("слож", "прибав"),
    "population": ("населен",),
    "news": ("новост",),
    "price": ("цен", "стоимост"),
    "city": ("город",),
}
# Russian city names as a question declines them ("в Москве") -> the name itself ("Москва"),
# by stem: a capitalised word starting with a stem becomes the name.
_RUSSIAN_CITIES: dict[str, str] = {
    "москв": "Москва",
    "санкт-петербург": "Санкт-Петербург",
    "петербург": "Петербург",
    "париж": "Париж",
    "берлин": "Берлин",
    "лондон": "Лондон",
    "казан": "Казань",
    "новосибирск": "Новосибирск",
    "екатеринбург": "Екатеринбург",
    "сочи": "Сочи",
    "рим": "Рим",
    "мадрид": "Мадрид",
    "нью-йорк": "Нью-Йорк",
    "токио": "Токио",
}
_RUSSIAN_ENDING = re.compile(r"(?:а|у|е|ом|ой|ы|и|ю|ью)?")
_GENERIC_PARTS = frozenset({"get", "set", "tool", "function", "create", "make", "run", "do"})
_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def relevance(name: str, text: str) -> int:
    """Score how much `text` asks for `name` (a function or property name).

    10 when the name itself appears, plus 1 per meaningful part of it
    (`get_weather` -> `weather`) found as a word in the text, or, in a Russian text, a word
    with that part's Russian stem (`погода`).
    """
    lowered = text.lower()
    score = 10 if re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", lowered) else 0
    words = set(re.findall(r"\w+", lowered))
    parts = {part.lower() for part in re.split(r"[_\-]|(?<=[a-z])(?=[A-Z])", name)}
    meaningful = {p for p in parts if len(p) > 2 and p not in _GENERIC_PARTS}
    russian = {
        p
        for p in meaningful
        if any(re.search(rf"(?<!\w){s}", lowered) for s in _RUSSIAN_PARTS.get(p, ()))
    }
    return score + len(meaningful & words | russian)


def nominative(phrase: str) -> str:
    """A Russian city name as a question declines it, as the name itself: `Москве` -> `Москва`.

    Only the cities of a small table; any other phrase is returned as it is.
    """
    lowered = phrase.lower()
    for stem, name in _RUSSIAN_CITIES.items():
        if lowered.startswith(stem) and _RUSSIAN_ENDING.fullmatch(lowered[len(stem) :]):
            return name
    return phrase


def excerpt(text: str, words: int = 12) -> str:
    """Return the first `words` words of `text`, with `…` if something was cut."""
    parts = text.split()
    cut = " ".join(parts[:words]).strip(" .,!?;:")
    return cut + ("…" if len(parts) > words else "")


def split_subjects(text: str) -> list[str]:
    """One text per subject of an enumeration in `text`, else `[text]`.

    `"Weather in Moscow, Paris and Berlin?"` gives `["Weather in Moscow?",
    "Weather in Paris?", "Weather in Berlin?"]`: the enumeration is replaced by
    each subject in turn.
    """
    found = _ENUMERATION.search(text)
    if found is None:
        return [text]
    pieces = re.split(_SEPARATOR, found.group(0))
    subjects = [re.sub(rf"^{_PREPOSITION}", "", piece.strip()) for piece in pieces]
    return [text[: found.start()] + subject + text[found.end() :] for subject in subjects]


@dataclass
class _Hints:
    text: str
    numbers: list[int | float] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> _Hints:
        numbers = [float(m) if "." in m else int(m) for m in _NUMBER.findall(text)]
        strings = [next(group for group in m.groups() if group) for m in _QUOTED.finditer(text)]
        unquoted = _QUOTED.sub(" ", text)
        phrases = [
            nominative(m.group(0).rstrip(","))
            for m in _CAPITALISED.finditer(unquoted)
            if m.group(0) != "I" and not _SENTENCE_START.search(unquoted[: m.start()])
        ]
        return cls(text, numbers, strings, phrases)

    def take_number(self, schema: dict[str, Any], integer: bool) -> int | float | None:
        for index, number in enumerate(self.numbers):
            if (integer and number != int(number)) or not _in_bounds(number, schema):
                continue
            del self.numbers[index]
            return int(number) if integer else number
        return None


def _in_bounds(number: float, schema: dict[str, Any]) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    low_x, high_x = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    return not (
        (isinstance(low, int | float) and number < low)
        or (isinstance(high, int | float) and number > high)
        or (isinstance(low_x, int | float) and number <= low_x)
        or (isinstance(high_x, int | float) and number >= high_x)
    )


def generate_arguments(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Generate arguments for a function whose `parameters` are `schema`."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    value = _Generator(_Hints.of(text), defs).value(schema, "", 0)
    return value if isinstance(value, dict) else {}


@dataclass
class _Generator:
    hints: _Hints
    defs: dict[str, Any]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        for _ in range(_MAX_DEPTH):
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                break
            target = self.defs.get(ref.rsplit("/", 1)[-1])
            schema = (
                {**target, **{k: v for k, v in schema.items() if k != "$ref"}} if target else {}
            )
        return schema

    def value(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.choose(schema["enum"])
        for key in ("anyOf", "oneOf"):
            branches = [self.resolve(b) for b in schema.get(key, []) if isinstance(b, dict)]
            usable = [b for b in branches if b.get("type") != "null"] or branches
            if usable:
                return self.value({**usable[0], **_own(schema)}, name, depth)
        if isinstance(schema.get("allOf"), list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for branch in schema["allOf"]:
                if isinstance(branch, dict):
                    merged = {**self.resolve(branch), **merged}
            return self.value(merged, name, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = (
                "object" if "properties" in schema else "array" if "items" in schema else "string"
            )
        return self.typed(kind, schema, name, depth)

    def typed(self, kind: str, schema: dict[str, Any], name: str, depth: int) -> Any:
        if kind == "object":
            return self.object(schema, depth) if depth < _MAX_DEPTH else {}
        if kind == "array":
            return self.array(schema, name, depth) if depth < _MAX_DEPTH else []
        if kind in ("integer", "number"):
            found = self.hints.take_number(schema, kind == "integer")
            return found if found is not None else _default_number(schema, kind == "integer")
        if kind == "boolean":
            return bool(schema.get("default", False))
        if kind == "null":
            return None
        return self.string(schema, name)

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = [key for key in properties if key in set(schema.get("required", []))]
        lowered = self.hints.text.lower()
        optional = [key for key in properties if key not in required]
        declined = [
            key
            for key in optional
            if re.search(rf"\b(?:no|without) {re.escape(key.lower().replace('_', ' '))}\b", lowered)
        ]
        # the most relevant optional properties first (stable: schema order on ties)
        optional = sorted(
            (key for key in optional if key not in declined),
            key=lambda key: -relevance(key, self.hints.text),
        )
        maximum, minimum = schema.get("maxProperties"), schema.get("minProperties")
        if isinstance(maximum, int):
            optional = optional[: max(maximum - len(required), 0)]
        if isinstance(minimum, int) and len(required) + len(optional) < minimum:
            optional += declined[: minimum - len(required) - len(optional)]
        chosen = set(required + optional)
        return {
            key: self.value(sub if isinstance(sub, dict) else {}, key, depth + 1)
            for key, sub in properties.items()
            if key in chosen
        }

    def array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        items = self.resolve(
            schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
        )
        count = max(int(schema.get("minItems", 1)), 1)
        if items.get("type") in ("integer", "number"):
            count = max(count, len(self.hints.numbers))
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        return [self.value(items, name, depth + 1) for _ in range(count)]

    def string(self, schema: dict[str, Any], name: str) -> str:
        if isinstance(schema.get("default"), str):
            return str(schema["default"])
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        text = _joke(name, self.hints.text)
        if text is None and self.hints.strings:
            text = self.hints.strings.pop(0)
        if text is None and self.hints.phrases:
            text = self.hints.phrases.pop(0)
        if text is None:
            text = excerpt(self.hints.text, 6) or name or "value"
        text = text[: schema["maxLength"]] if isinstance(schema.get("maxLength"), int) else text
        return text.ljust(int(schema.get("minLength", 0)), ".")

    def choose(self, options: list[Any]) -> Any:
        lowered = self.hints.text.lower()
        for option in options:
            if isinstance(option, str) and re.search(rf"\b{re.escape(option.lower())}\b", lowered):
                return option
        return options[0]


def _own(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "default")}


def _default_number(schema: dict[str, Any], integer: bool) -> int | float:
    value = schema.get("default")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    candidate: float = 1
    if isinstance(low, int | float) and not _in_bounds(candidate, schema):
        candidate = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if isinstance(high, int | float) and not _in_bounds(candidate, schema):
        candidate = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    return int(candidate) if integer else candidate


def _joke(name: str, text: str) -> str | None:
    if name not in ("setup", "punchline"):
        return None
    found = re.search(r"\babout (\w+)", text)
    subject = found.group(1) if found else "programmers"
    if subject.lower().startswith("cat"):
        setup, punchline = (
            "Why was the cat sitting on the computer?",
            "To keep an eye on the mouse!",
        )
    else:
        setup = f"Why do {subject} never get lost?"
        punchline = "They always follow the script!"
    return setup if name == "setup" else punchline
