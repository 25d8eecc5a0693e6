r"""Tokens and energy: the emulator's deterministic accounting.

Tokenizer: a token is a run of word characters (`\\w+`, any script, so Russian
and Chinese words count too) or one punctuation character. `"Привет, мир!"` is
4 tokens. It is not a real BPE tokenizer; it is simple, stable and consistent
with the text, so tests can recompute it.

* `prompt_tokens` = tokens of every message's `content` and `name`, of every
  `function_call.name` and `function_call.arguments` in the history, plus the
  tokens of the `functions` list serialised as JSON
  (`json.dumps(functions, ensure_ascii=False)`). No per-message overhead.
* `completion_tokens` = tokens of the answer text, or of the function call's
  `name` plus `arguments`, summed over all `n` choices.
* energy = tokens x the model's rate from `ENERGY_RATES` (prompt rate for the
  prompt, completion rate for the completion); models not in the table (only
  reachable with `known_models=None`) use `DEFAULT_ENERGY_RATE`.
* totals are sums: `total_tokens = prompt + completion`, same for energy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from langchain_mashagpt._profiles import _table

__all__ = [
    "DEFAULT_ENERGY_RATE",
    "ENERGY_RATES",
    "KNOWN_MODELS",
    "count_tokens",
    "known_base",
    "make_usage",
    "prompt_tokens",
    "truncate_tokens",
]

_TOKEN = re.compile(r"\w+|[^\w\s]")

#: Energy per token as `(prompt rate, completion rate)`, per known model id.
ENERGY_RATES: Mapping[str, tuple[int, int]] = {
    "gpt-3.5-turbo": (1, 2),
    "gpt-4o-mini": (1, 4),
    "gpt-4.1-mini": (1, 4),
    "gpt-4o": (5, 20),
    "gpt-4-turbo": (10, 30),
    "gpt-4": (30, 60),
    "claude-3-haiku": (1, 5),
    "claude-3-5-sonnet": (3, 15),
    "claude-3-opus": (15, 75),
    "gemini-1.5-flash": (1, 3),
    "gemini-1.5-pro": (4, 12),
    "llama-3.1-70b": (1, 3),
    "deepseek-chat": (1, 2),
    "deepseek-reasoner": (2, 8),  # answers with `reasoning_content`
}

#: Energy rate for a model missing from `ENERGY_RATES` (with `known_models=None`).
DEFAULT_ENERGY_RATE: tuple[int, int] = (2, 6)

#: The model ids accepted by default: those with an energy rate and every id of the package's
#: model profiles (`data/profiles.json`); their dated variants (`gpt-4o-2024-08-06`) too
#: (see `known_base`). Any other id gets 404 `model_not_found`, naming these.
KNOWN_MODELS: frozenset[str] = frozenset(ENERGY_RATES) | frozenset(_table()["models"])

# A release date after a model id: `-2024-08-06`, `-20241022` (Anthropic), `-0613` (OpenAI).
_DATED = re.compile(r"(.+?)-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})")


def known_base(model: str, known: Collection[str]) -> str | None:
    """The id in `known` that `model` is, or is a dated variant of (else `None`).

    Args:
        model: A model id as a request names it, e.g. `"gpt-4o-2024-08-06"`.
        known: The ids accepted.

    Returns:
        `model` itself when known, `"gpt-4o"` for `"gpt-4o-2024-08-06"`, or `None`.
    """
    if model in known:
        return model
    dated = _DATED.fullmatch(model)
    return dated[1] if dated and dated[1] in known else None


def count_tokens(text: str) -> int:
    """Count the tokens of `text` with the emulator's tokenizer."""
    return sum(1 for _ in _TOKEN.finditer(text))


def truncate_tokens(text: str, limit: int) -> str:
    """Cut `text` right after its `limit`-th token (the text itself if shorter)."""
    for index, match in enumerate(_TOKEN.finditer(text), start=1):
        if index == limit:
            return text[: match.end()]
    return text


def prompt_tokens(messages: Sequence[Mapping[str, Any]], functions: object) -> int:
    """Count the prompt tokens of a validated request (see the module docstring)."""
    total = 0
    for message in messages:
        for key in ("content", "name"):
            value = message.get(key)
            if isinstance(value, str):
                total += count_tokens(value)
        call = message.get("function_call")
        if isinstance(call, Mapping):
            total += count_tokens(str(call.get("name", "")))
            total += count_tokens(str(call.get("arguments", "")))
    if functions:
        total += count_tokens(json.dumps(functions, ensure_ascii=False))
    return total


def make_usage(model: str, prompt: int, completion: int) -> dict[str, int]:
    """Build the `usage` object of an answer, energy included."""
    rated = known_base(model, ENERGY_RATES) or model
    prompt_rate, completion_rate = ENERGY_RATES.get(rated, DEFAULT_ENERGY_RATE)
    prompt_energy = prompt * prompt_rate
    completion_energy = completion * completion_rate
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_energy": prompt_energy,
        "completion_energy": completion_energy,
        "total_energy": prompt_energy + completion_energy,
    }
