"""Model profiles: what each model MashaGPT serves can take, from `data/profiles.json`.

`profile_for(model_id)` looks the id up exactly, else by its longest family
prefix (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-3-5-sonnet-latest` →
`claude-3-5-sonnet`), after dropping a leading `vendor/`. An id the table does
not know gets a conservative profile (a small window), never `None`. The data
file names the source of every figure. No I/O after the first lookup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, cast

from langchain_core.language_models import ModelProfile

__all__ = ["carried_over", "profile_for"]

_SEPARATORS = "-.:@_"


@cache
def _table() -> dict[str, Any]:
    text = resources.files("langchain_mashagpt").joinpath("data/profiles.json").read_text("utf-8")
    return cast("dict[str, Any]", json.loads(text))


def _entry(model: str) -> dict[str, Any]:
    models: dict[str, dict[str, Any]] = _table()["models"]
    name = model.strip().lower().rpartition("/")[2]
    if name in models:
        return models[name]
    best = ""
    for key in models:
        if (
            len(key) > len(best)
            and name.startswith(key)
            and name[len(key)] in _SEPARATORS  # a longer name: `name` is not `key`
        ):
            best = key
    return models[best] if best else cast("dict[str, Any]", _table()["unknown"])


def profile_for(model: str) -> ModelProfile:
    """The profile of `model`: its family's figures over the common capabilities.

    Args:
        model: A model id as sent to the API, e.g. `"gpt-4o-mini"`.

    Returns:
        A new `ModelProfile` (the caller may change it).
    """
    fields = {**_table()["common"], **_entry(model)}
    fields.pop("source")
    return cast("ModelProfile", fields)


@cache
def _table_profiles() -> tuple[dict[str, Any], ...]:
    entries = [_table()["unknown"], *_table()["models"].values()]
    return tuple(
        {k: v for k, v in {**_table()["common"], **e}.items() if k != "source"} for e in entries
    )


def carried_over(profile: object, model: str) -> bool:
    """Whether `profile` is the table's profile of another model, not one of `model`.

    `configurable_fields` and copies build a new model from the old one's
    fields, its looked-up profile included; for another model id it is stale.
    """
    if not isinstance(profile, Mapping) or profile == profile_for(model):
        return False
    return any(profile == p for p in _table_profiles())
