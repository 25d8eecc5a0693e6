"""A configurable `ChatMashaGPT` keeps its configuration, as open_deep_research uses one.

open_deep_research builds one configurable model and derives every model of its
graph from it, the configuration given last:

    configurable_model.with_structured_output(ClarifyWithUser)
        .with_retry(stop_after_attempt=3)
        .with_config({"model": …, "max_tokens": …, "api_key": …, "tags": […]})

With langchain-core's plain `configurable_fields`, `with_structured_output` and
`bind_tools` were built on the default model and every request went out with
the default model and no `max_tokens`; and a configured model never streamed.
Here every request carries the configured model, `max_tokens` and key (the
default key is refused by the emulator), in the four modes.

`with_retry` retries `invoke` only (langchain-core's `RunnableRetry` streams
without retrying), so the retry is checked in the two invoke modes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.runnables import ConfigurableField
from langgraph.prebuilt import create_react_agent
from pydantic import BaseModel, Field

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import Mode, get_weather, merge

pytestmark = pytest.mark.filterwarnings(
    "ignore:create_react_agent has been moved:DeprecationWarning"
)


class ClarifyWithUser(BaseModel):
    """open_deep_research's first structured answer."""

    need_clarification: bool = Field(description="Whether to ask the user a question")
    question: str = Field(description="A question to ask the user")
    verification: str = Field(description="What the research will cover")


CLARIFIED = {"need_clarification": False, "question": "", "verification": "On it."}


def configurable_model(emu: MashaGPTEmulator) -> Any:
    """open_deep_research's `init_chat_model(configurable_fields=("model", "max_tokens", "api_key"))`."""
    return ChatMashaGPT(
        base_url=emu.base_url, api_key="sk-not-the-emulators", max_retries=0
    ).configurable_fields(
        model=ConfigurableField(id="model"),
        max_tokens=ConfigurableField(id="max_tokens"),
        api_key=ConfigurableField(id="api_key"),
    )


def odr_config(emu: MashaGPTEmulator) -> dict[str, Any]:
    """The `model_config` open_deep_research passes to `with_config`: top-level keys."""
    return {
        "model": "gpt-4o",
        "max_tokens": 2048,
        "api_key": emu.api_key,
        "tags": ["langsmith:nostream"],
    }


def configurable_config(emu: MashaGPTEmulator) -> dict[str, Any]:
    return {"configurable": {"model": "gpt-4o", "max_tokens": 2048, "api_key": emu.api_key}}


CONFIGS = {"open_deep_research": odr_config, "configurable": configurable_config}


def expect_configured(
    emu: MashaGPTEmulator, mode: Mode, count: int, model: str, max_tokens: int
) -> None:
    assert [(r.body["model"], r.body.get("max_tokens")) for r in emu.requests] == [
        (model, max_tokens)
    ] * count
    assert [bool(r.body.get("stream")) for r in emu.requests] == [mode.streams] * count


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS)
async def test_structured_output_with_retry_and_config_sends_the_configured_model(
    emu: MashaGPTEmulator, mode: Mode, config: Any
) -> None:
    emu.enqueue(Reply.function_call("ClarifyWithUser", json.dumps(CLARIFIED)))
    chain = (
        configurable_model(emu)
        .with_structured_output(ClarifyWithUser)
        .with_retry(stop_after_attempt=3)
        .with_config(config(emu))
    )

    answer = await mode.last(chain, "Research LangGraph's history.")

    assert answer == ClarifyWithUser(**CLARIFIED)
    expect_configured(emu, mode, 1, "gpt-4o", 2048)
    body = emu.requests[0].body
    assert [f["name"] for f in body["functions"]] == ["ClarifyWithUser"]
    assert body["function_call"] == {"name": "ClarifyWithUser"}


@pytest.mark.parametrize("mode", [Mode("invoke"), Mode("ainvoke")], ids=["invoke", "ainvoke"])
async def test_each_retry_sends_the_configured_model_too(emu: MashaGPTEmulator, mode: Mode) -> None:
    emu.enqueue(
        Reply.function_call("ClarifyWithUser", '{"need_clarification": "perhaps"}'),
        Reply.function_call("ClarifyWithUser", json.dumps(CLARIFIED)),
    )
    chain = (
        configurable_model(emu)
        .with_structured_output(ClarifyWithUser)
        .with_retry(stop_after_attempt=3, wait_exponential_jitter=False)
        .with_config(odr_config(emu))
    )

    answer = await mode.last(chain, "Research LangGraph's history.")

    assert answer == ClarifyWithUser(**CLARIFIED)
    expect_configured(emu, mode, 2, "gpt-4o", 2048)


async def test_bind_tools_before_with_config_sends_the_configured_model(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    emu.enqueue(Reply.function_call("get_weather", '{"city": "Paris"}'))
    researcher = (
        configurable_model(emu)
        .bind_tools([get_weather], tool_choice="get_weather")
        .with_config(
            {
                "configurable": {
                    "model": "claude-3-5-sonnet",
                    "max_tokens": 1000,
                    "api_key": emu.api_key,
                }
            }
        )
    )

    output = await mode.run(researcher, "Weather in Paris?")

    message = merge(output)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    expect_configured(emu, mode, 1, "claude-3-5-sonnet", 1000)
    body = emu.requests[0].body
    assert [f["name"] for f in body["functions"]] == ["get_weather"]
    assert body["function_call"] == {"name": "get_weather"}


async def test_a_react_agent_on_the_configurable_model_takes_the_graphs_configuration(
    emu: MashaGPTEmulator, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'), Reply.text("Sunny, 21 °C.")
    )
    agent = create_react_agent(configurable_model(emu), [get_weather])
    config: Any = {"configurable": {"model": "gpt-4o", "max_tokens": 512, "api_key": emu.api_key}}

    state = await mode.graph(agent, {"messages": [("user", "Weather in Paris?")]}, config=config)

    assert state["messages"][-1].content == "Sunny, 21 °C."
    expect_configured(emu, mode, 2, "gpt-4o", 512)
    assert [[f["name"] for f in r.body["functions"]] for r in emu.requests] == [["get_weather"]] * 2
