"""The code of docs/profiles-and-tokens.md runs, and says what it returns."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from langchain_mashagpt import _tokens

PAGE = Path(__file__).resolve().parents[2] / "docs" / "profiles-and-tokens.md"


@pytest.fixture(autouse=True)
def _no_tiktoken_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # the page's figures are the estimate
    _tokens._encoder.cache_clear()


def test_the_pages_code_runs_and_its_comments_are_true() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.S)
    assert len(blocks) == 3
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    model, history = namespace["model"], namespace["history"]
    assert model.profile["max_input_tokens"] == 200_000
    assert model.profile["max_output_tokens"] == 8_192
    assert (model.profile["tool_calling"], model.profile["image_inputs"]) == (True, False)
    assert namespace["mine"].profile == {"max_input_tokens": 32_000, "tool_calling": True}
    assert model.get_num_tokens("Привет, мир!") == 3
    assert model.get_num_tokens_from_messages(history) == 35
    tools = [namespace["get_weather"]]
    assert model.get_num_tokens_from_messages(history, tools=tools) == 77
    trim = namespace["trim_messages"]
    assert trim(history, max_tokens=20, token_counter=model, strategy="last") == history[-2:]
