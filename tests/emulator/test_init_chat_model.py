"""`init_chat_model` cannot build `ChatMashaGPT`; what docs/index.md says to write instead works.

langchain 1.x's `init_chat_model` knows only the providers in its own table
(`_BUILTIN_PROVIDERS` in `langchain/chat_models/base.py`) and has no plug-in hook, so
a third-party package cannot register itself there.
"""

from __future__ import annotations

import pytest
from langchain.chat_models import init_chat_model
from langchain_core.runnables import ConfigurableField, RunnableConfig

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "mashagpt:gpt-4o-mini"}, "Unable to infer model provider"),
        ({"model": "gpt-4o-mini", "model_provider": "mashagpt"}, "Unsupported provider='mashagpt'"),
    ],
    ids=["prefix", "model_provider"],
)
def test_init_chat_model_does_not_know_mashagpt(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        init_chat_model(**kwargs)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_a_model_chosen_at_run_time_through_configurable_fields(
    emu: MashaGPTEmulator, is_async: bool
) -> None:
    model = ChatMashaGPT(
        model="gpt-4o-mini", base_url=emu.base_url, api_key=emu.api_key
    ).configurable_fields(model=ConfigurableField(id="model"))
    config: RunnableConfig = {"configurable": {"model": "gpt-4o"}}

    if is_async:
        answer = await model.ainvoke("Привет!", config=config)
    else:
        answer = model.invoke("Привет!", config=config)

    assert answer.content == "Привет! Чем могу помочь?"
    assert answer.response_metadata["model_name"] == "gpt-4o"
    assert [r.body["model"] for r in emu.requests] == ["gpt-4o"]
