"""`model.profile`: figures for the models MashaGPT serves, from the data file in the package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, get_type_hints

import pytest
from langchain_core.language_models import ModelProfile

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._profiles import profile_for
from langchain_mashagpt.testing import KNOWN_MODELS

DATA = json.loads(
    resources.files("langchain_mashagpt").joinpath("data/profiles.json").read_text("utf-8")
)
TEXT_ONLY = {
    "text_inputs": True,
    "image_inputs": False,
    "image_url_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "pdf_inputs": False,
    "image_tool_message": False,
    "pdf_tool_message": False,
}


@pytest.mark.parametrize(
    ("model", "window", "output"),
    [
        ("gpt-4o-mini", 128_000, 16_384),
        ("gpt-4o-mini-2024-07-18", 128_000, 16_384),  # a dated id: its family
        ("gpt-4o", 128_000, 16_384),
        ("gpt-4", 8_192, 8_192),
        ("gpt-4-0613", 8_192, 8_192),
        ("gpt-4-turbo-preview", 128_000, 4_096),
        ("gpt-4.1-mini", 1_047_576, 32_768),
        ("gpt-5-mini", 272_000, 128_000),
        ("claude-3-opus", 200_000, 4_096),
        ("claude-3-5-sonnet-latest", 200_000, 8_192),
        ("claude-sonnet-4-5-20250929", 200_000, 64_000),
        ("claude-2.1", 200_000, 4_096),  # only the family is known
        ("gemini-1.5-pro", 2_097_152, 8_192),
        ("gemini-2.5-flash-lite", 1_048_576, 65_536),
        ("deepseek-chat", 128_000, 8_192),
        ("llama-3.1-70b", 131_072, 4_096),
        ("meta-llama/Llama-3.3-70B-Instruct", 131_072, 4_096),  # vendor/ and case
        ("anthropic/claude-3-haiku", 200_000, 4_096),
    ],
)
def test_known_models_and_families(model: str, window: int, output: int) -> None:
    profile = ChatMashaGPT(api_key="k", model=model).profile
    assert profile is not None
    assert (profile["max_input_tokens"], profile["max_output_tokens"]) == (window, output)
    assert profile["tool_calling"] is True
    assert profile["structured_output"] is False  # no response_format: emulated by functions
    assert {k: profile.get(k) for k in TEXT_ONLY} == TEXT_ONLY


@pytest.mark.parametrize("model", ["my-fine-tune", "gpt", "gpt-4x", "o", "", "claudette"])
def test_an_unknown_model_gets_a_conservative_profile(model: str) -> None:
    profile = profile_for(model)
    assert (profile["max_input_tokens"], profile["max_output_tokens"]) == (8_192, 4_096)
    assert {k: profile.get(k) for k in TEXT_ONLY} == TEXT_ONLY


@pytest.mark.parametrize("model", sorted(KNOWN_MODELS))
def test_every_model_of_the_emulator_has_its_own_figures(model: str) -> None:
    assert profile_for(model) != profile_for("no-such-model")


def test_a_users_own_profile_wins() -> None:
    mine: ModelProfile = {"max_input_tokens": 1_000, "tool_calling": False}
    assert ChatMashaGPT(api_key="k", profile=mine).profile == mine


def test_every_profile_key_is_one_langchain_core_knows() -> None:
    declared = set(get_type_hints(ModelProfile))
    for entry in [DATA["common"], DATA["unknown"], *DATA["models"].values()]:
        assert set(entry) - {"source"} <= declared, entry


def test_every_figure_names_a_source() -> None:
    sources: dict[str, Any] = DATA["sources"]
    for name, entry in {"unknown": DATA["unknown"], **DATA["models"]}.items():
        assert entry["source"] in sources, name
        assert isinstance(entry["max_input_tokens"], int), name
        assert isinstance(entry["max_output_tokens"], int), name
    assert all(s.startswith(("https://", "No published figure")) for s in sources.values())


def test_each_model_gets_its_own_copy() -> None:
    first = ChatMashaGPT(api_key="k")
    assert first.profile is not None
    first.profile["max_input_tokens"] = 1
    assert ChatMashaGPT(api_key="k").profile == profile_for("gpt-4o-mini")
    assert profile_for("gpt-4o-mini")["max_input_tokens"] == 128_000


def test_configurable_model_gets_the_profile_of_the_model_chosen() -> None:
    from langchain_core.runnables import ConfigurableField

    switchable = ChatMashaGPT(api_key="k").configurable_fields(model=ConfigurableField(id="model"))
    chosen, _ = switchable._prepare({"configurable": {"model": "gpt-4"}})
    assert chosen.model == "gpt-4"
    assert chosen.profile == profile_for("gpt-4")


def test_a_copy_with_another_model_gets_that_models_profile() -> None:
    copy = ChatMashaGPT(api_key="k").model_copy(update={"model": "claude-3-opus"})
    assert copy.profile == profile_for("claude-3-opus")
    same = ChatMashaGPT(api_key="k").model_copy(update={"temperature": 0})
    assert same.profile == profile_for("gpt-4o-mini")


def test_a_users_profile_survives_copies_and_configuration() -> None:
    from langchain_core.runnables import ConfigurableField

    mine: ModelProfile = {"max_input_tokens": 5_000}
    model = ChatMashaGPT(api_key="k", profile=mine)
    assert model.model_copy(update={"model": "claude-3-opus"}).profile == mine
    switchable = model.configurable_fields(model=ConfigurableField(id="model"))
    chosen, _ = switchable._prepare({"configurable": {"model": "gpt-4"}})
    assert chosen.profile == mine
