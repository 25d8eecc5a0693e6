"""A dumped chain with `ChatMashaGPT` in it loads back and runs (what docs/index.md shows).

`langchain_core.load` only builds classes it is allowed to: `ChatMashaGPT` is not in
langchain-core's mapping of partner classes, so it must be listed in `allowed_objects`
and its package in `valid_namespaces`. The key is never dumped; the loader takes it
from `secrets_from_env` or `secrets_map`, and without either the model has none.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core._api.beta_decorator import LangChainBetaWarning
from langchain_core.load import dumpd, dumps, load, loads
from langchain_core.prompts import (
    ChatPromptTemplate,
    HumanMessagePromptTemplate,
    PromptTemplate,
    SystemMessagePromptTemplate,
)
from langchain_core.runnables import RunnableSequence

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator

CHAIN_CLASSES = [
    RunnableSequence,
    ChatPromptTemplate,
    SystemMessagePromptTemplate,
    HumanMessagePromptTemplate,
    PromptTemplate,
    ChatMashaGPT,
]


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("MASHAGPT_API_KEY", raising=False)
    with warnings.catch_warnings():
        # `load`/`loads` are marked beta in langchain-core 1.x.
        warnings.simplefilter("ignore", LangChainBetaWarning)
        yield


def chain_for(emu: MashaGPTEmulator) -> Any:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a calculator."), ("human", "What is {a} * {b}?")]
    )
    model = ChatMashaGPT(
        model="gpt-4o", temperature=0, max_tokens=50, base_url=emu.base_url, api_key=emu.api_key
    )
    return prompt | model


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_a_dumped_chain_loads_back_and_runs_with_the_key_from_the_environment(
    emu: MashaGPTEmulator, monkeypatch: pytest.MonkeyPatch, is_async: bool
) -> None:
    dumped = dumps(chain_for(emu))
    assert emu.api_key not in dumped
    monkeypatch.setenv("MASHAGPT_API_KEY", emu.api_key)

    chain = loads(
        dumped,
        allowed_objects=CHAIN_CLASSES,
        valid_namespaces=["langchain_mashagpt"],
        secrets_from_env=True,
    )
    inputs = {"a": 12, "b": 7}
    answer = await chain.ainvoke(inputs) if is_async else chain.invoke(inputs)

    assert answer.content == "12 * 7 = 84."
    [request] = emu.requests
    assert request.headers["authorization"] == f"Bearer {emu.api_key}"
    assert request.body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a calculator."},
            {"role": "user", "content": "What is 12 * 7?"},
        ],
        "temperature": 0.0,
        "max_tokens": 50,
    }


def test_the_key_can_come_from_a_secrets_map(emu: MashaGPTEmulator) -> None:
    model = load(
        dumpd(ChatMashaGPT(model="gpt-4o-mini", base_url=emu.base_url, api_key=emu.api_key)),
        allowed_objects=[ChatMashaGPT],
        valid_namespaces=["langchain_mashagpt"],
        secrets_map={"MASHAGPT_API_KEY": emu.api_key},
    )

    assert isinstance(model, ChatMashaGPT)
    assert model.invoke("Привет!").content == "Привет! Чем могу помочь?"
    assert emu.requests[0].headers["authorization"] == f"Bearer {emu.api_key}"


def test_loaded_without_a_secret_source_the_model_has_no_key(emu: MashaGPTEmulator) -> None:
    model = load(
        dumpd(ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key)),
        allowed_objects=[ChatMashaGPT],
        valid_namespaces=["langchain_mashagpt"],
    )

    assert model.api_key is None
    with pytest.raises(ValueError, match="No MashaGPT API key"):
        model.invoke("Hello")
    assert emu.requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allowed_objects": "all"}, "is not allowed"),
        ({"allowed_objects": [ChatMashaGPT]}, "Invalid namespace"),
    ],
    ids=["not-in-langchain-core-mapping", "namespace-not-trusted"],
)
def test_the_loader_refuses_without_both_options(
    emu: MashaGPTEmulator, options: dict[str, Any], message: str
) -> None:
    dumped = dumpd(ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key))
    with pytest.raises(ValueError, match=message):
        load(dumped, **options)
