"""What docs/configuration.md says of `init_chat_model` holds, and its instance form works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain.chat_models import init_chat_model
from langchain_core.load import dumpd
from langchain_core.runnables import ConfigurableField
from langchain_core.runnables.configurable import RunnableConfigurableFields

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._configurable import ConfigurableChatMashaGPT
from tests.helpers import MockServer, Runner, completion
from tests.unit_tests.helpers import sse_fixture

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_init_chat_model_cannot_load_this_package() -> None:
    with pytest.raises(ValueError, match="Unable to infer model provider"):
        init_chat_model("mashagpt:gpt-4o-mini")
    with pytest.raises(ValueError, match="Unsupported provider='mashagpt'"):
        init_chat_model("gpt-4o-mini", model_provider="mashagpt")


async def test_the_instance_form_switches_the_model(server: MockServer, run: Runner) -> None:
    # The page's block itself runs against the emulator in tests/docs.
    assert "configurable_fields(" in PAGE.read_text("utf-8")
    server.json(completion())
    switchable = server.model(model="gpt-4o-mini").configurable_fields(
        model=ConfigurableField(id="model")
    )
    config: Any = {"configurable": {"model": "claude-3-5-sonnet"}}
    await run.invoke(switchable, "Hi", config=config)
    assert server.body["model"] == "claude-3-5-sonnet"


def test_a_configurable_model_is_its_own_wrapper_and_dumps_as_langchain_cores() -> None:
    fields: dict[str, Any] = {"model": ConfigurableField(id="model")}
    ours = ChatMashaGPT(api_key="k").configurable_fields(**fields)
    core = RunnableConfigurableFields(default=ChatMashaGPT(api_key="k"), fields=fields)
    assert isinstance(ours, ConfigurableChatMashaGPT)
    more = ours.configurable_fields(max_tokens=ConfigurableField(id="max_tokens"))
    assert isinstance(more, ConfigurableChatMashaGPT)
    assert set(more.fields) == {"model", "max_tokens"}
    assert {k: v for k, v in dumpd(ours).items() if k != "name"} == {
        k: v for k, v in dumpd(core).items() if k != "name"
    }


async def test_the_configured_model_sets_only_what_was_set_and_configured(
    server: MockServer, run: Runner
) -> None:
    server.sse(sse_fixture("text"))
    switchable = server.model(temperature=0.5).configurable_fields(
        max_tokens=ConfigurableField(id="max_tokens")
    )
    chosen, _ = switchable.prepare({"configurable": {"max_tokens": 7}})
    assert isinstance(chosen, ChatMashaGPT)
    assert "streaming" not in chosen.model_fields_set
    assert {"temperature", "max_tokens"} <= chosen.model_fields_set
    chunks = await run.stream(switchable, "Hi", config={"configurable": {"max_tokens": 7}})
    assert chunks
    assert server.body["stream"] is True
    assert (server.body["max_tokens"], server.body["temperature"]) == (7, 0.5)
