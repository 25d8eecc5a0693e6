"""Token counting offline: tiktoken from its cache only, else langchain-core's estimate."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken.load
import tiktoken.registry
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT, _tokens


@tool
def get_weather(city: str) -> str:
    """Погода в городе."""
    return city


FUNCTION = {
    "name": "get_weather",
    "description": "Погода в городе.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
HISTORY: list[BaseMessage] = [
    SystemMessage("Отвечай кратко."),
    HumanMessage("Какая погода в Москве?"),
    AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Москва"}, "id": "c1"}]),
    ToolMessage("Солнечно, +20", tool_call_id="c1"),
    AIMessage("В Москве солнечно.", name="masha"),
    AIMessage("", additional_kwargs={"function_call": {"name": "get_weather", "arguments": "{}"}}),
]


@pytest.fixture(autouse=True)
def _no_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """An empty tiktoken cache, and any download attempt fails the test."""

    def download(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to download {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", download)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    _tokens._encoder.cache_clear()
    yield
    _tokens._encoder.cache_clear()


def model(name: str = "gpt-4o-mini", **kwargs: Any) -> ChatMashaGPT:
    return ChatMashaGPT(api_key="k", model=name, **kwargs)


@pytest.mark.parametrize("text", ["", "Привет, мир!", "x" * 1001])
def test_text_is_estimated_without_the_tokenizer_data(text: str) -> None:
    assert model().get_num_tokens(text) == math.ceil(len(text) / 4)


def test_messages_are_langchain_cores_estimate_without_the_data() -> None:
    assert model().get_num_tokens_from_messages(HISTORY) == count_tokens_approximately(HISTORY)


def test_tools_are_counted_as_the_functions_sent() -> None:
    counted = model().get_num_tokens_from_messages(HISTORY, tools=[get_weather])
    assert counted == count_tokens_approximately(HISTORY, tools=[FUNCTION])
    assert counted > model().get_num_tokens_from_messages(HISTORY)


def test_a_custom_tokenizer_wins() -> None:
    m = model(custom_get_token_ids=lambda text: [0] * len(text.split()))
    assert m.get_num_tokens("one two three") == 3


def test_trim_messages_counts_with_the_model() -> None:
    m = model()
    kept = trim_messages(HISTORY, max_tokens=30, token_counter=m, strategy="last")
    assert kept
    assert kept == HISTORY[-len(kept) :]
    assert m.get_num_tokens_from_messages(kept) <= 30
    assert m.get_num_tokens_from_messages(HISTORY[-len(kept) - 1 :]) > 30


def test_a_trimmed_history_starting_with_a_tool_result_is_counted() -> None:
    assert model().get_num_tokens_from_messages(HISTORY[3:]) > 0


# A tiny BPE table in tiktoken's own file format, standing in for o200k_base: every
# byte, plus a few merges. The real file is 3.6 MB and only ever downloaded by tiktoken.
RANKS = {bytes([b]): b for b in range(256)}
for piece in (b"he", b"ll", b"hell", b"hello", b" w", b" wo"):
    RANKS[piece] = len(RANKS)
BPE_FILE = b"".join(base64.b64encode(t) + b" %d\n" % r for t, r in RANKS.items())
FAKE_URL = "https://example.invalid/encodings/o200k_base.tiktoken"


@pytest.fixture
def cached_encoding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """tiktoken's cache holding a (small) o200k_base file, at the path tiktoken looks for."""
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / hashlib.sha1(FAKE_URL.encode()).hexdigest()
    path.write_bytes(BPE_FILE)
    sha256 = hashlib.sha256(BPE_FILE).hexdigest()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setitem(_tokens._BPE_FILES, "o200k_base", (FAKE_URL, sha256))

    def o200k_base() -> dict[str, Any]:
        ranks = tiktoken.load.load_tiktoken_bpe(FAKE_URL, expected_hash=sha256)
        return {"name": "o200k_base", "pat_str": r"\s?\S+|\s+", "mergeable_ranks": ranks,
                "special_tokens": {"<|endoftext|>": len(ranks)}}  # fmt: skip

    monkeypatch.setattr(tiktoken.registry, "ENCODING_CONSTRUCTORS", {"o200k_base": o200k_base})
    return path


def exact(text: str) -> int:
    return len(tiktoken.get_encoding("o200k_base").encode(text, disallowed_special=()))


def test_text_is_counted_exactly_from_the_cache(cached_encoding: Path) -> None:
    text = "hello world <|endoftext|>"
    assert model().get_num_tokens(text) == exact(text)
    assert exact("hello") == 1
    assert exact(text) != math.ceil(len(text) / 4)


def test_messages_are_counted_exactly_with_the_functions(cached_encoding: Path) -> None:
    expected = 3  # the reply's priming
    for texts, name in [
        (["Отвечай кратко."], None),
        (["Какая погода в Москве?"], None),
        (["", "get_weather", '{"city": "Москва"}'], None),
        (["Солнечно, +20"], None),
        (["В Москве солнечно."], "masha"),
        (["", "get_weather", "{}"], None),
    ]:
        expected += 3 + sum(exact(t) for t in texts) + (1 + exact(name) if name else 0)
    assert model().get_num_tokens_from_messages(HISTORY) == expected
    functions = exact(json.dumps([FUNCTION], ensure_ascii=False))
    with_tools = model().get_num_tokens_from_messages(HISTORY, tools=[get_weather])
    assert with_tools == expected + functions


@pytest.mark.parametrize("name", ["claude-3-opus", "gemini-1.5-pro", "deepseek-chat", "llama"])
def test_other_families_are_estimated_even_with_the_cache(cached_encoding: Path, name: str) -> None:
    assert model(name).get_num_tokens("hello") == 2


def test_a_damaged_cache_file_is_neither_used_nor_replaced(cached_encoding: Path) -> None:
    cached_encoding.write_bytes(b"broken")
    assert model().get_num_tokens("hello") == 2
    assert cached_encoding.read_bytes() == b"broken"


def test_an_empty_cache_dir_setting_means_no_cache(
    cached_encoding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert model().get_num_tokens("hello") == 2


def test_the_default_cache_dir_is_tiktokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR")
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", "/nonexistent/gym")
    assert _tokens._cache_dir() == "/nonexistent/gym"
    monkeypatch.delenv("DATA_GYM_CACHE_DIR")
    assert _tokens._cache_dir().endswith("data-gym-cache")


def test_a_broken_tiktoken_falls_back_to_the_estimate(
    cached_encoding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("plugin failed")

    monkeypatch.setattr(tiktoken.registry, "ENCODING_CONSTRUCTORS", {"o200k_base": broken})
    assert model().get_num_tokens("hello") == 2


def test_without_tiktoken_the_estimate_is_used(
    cached_encoding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "tiktoken", None)
    assert model().get_num_tokens("hello") == 2


def test_gpt_4_needs_its_own_encoding(cached_encoding: Path) -> None:
    assert model("gpt-4").get_num_tokens("hello") == 2  # cl100k_base is not cached
    assert model("gpt-4o-2024-08-06").get_num_tokens("hello") == 1
