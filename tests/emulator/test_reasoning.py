"""What reasoning models return beside the content, kept and never sent back (issue #20, part 5).

DeepSeek's reasoning models (and gateways in front of others) send
`reasoning_content` (or `reasoning`) beside `content`, in answers and in stream
deltas. The emulator answers so for `deepseek-reasoner`, and for any model with
`Reply.text(..., reasoning=...)`.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from langchain_mashagpt.testing._model import returns_reasoning
from tests.emulator.helpers import Api
from tests.helpers import Runner, merge


def model_on(emu: MashaGPTEmulator, **kwargs: Any) -> ChatMashaGPT:
    return ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, **kwargs)


async def answered(run: Runner, model: Any, mode: str, text: Any = "What is 2+2?") -> AIMessage:
    if mode == "invoke":
        message: AIMessage = await run.invoke(model, text)
        return message
    chunks = await run.stream(model, text)
    assert sum("reasoning_content" in c.additional_kwargs for c in chunks) > 1  # in pieces
    return merge(chunks)


def test_the_emulators_reasoning_models_come_from_the_profiles() -> None:
    assert returns_reasoning("deepseek-reasoner")
    assert not returns_reasoning("deepseek-chat")
    assert not returns_reasoning("gpt-4o-mini")
    assert not returns_reasoning("o3")  # OpenAI's reasoning stays on its side


def test_the_emulator_sends_reasoning_content_beside_the_content(api: Api) -> None:
    answer = api.post(model="deepseek-reasoner").json()["choices"][0]["message"]
    assert answer["content"] == "Hello! How can I help you today?"
    assert answer["reasoning_content"].startswith("The last message is a user message")
    assert "reasoning_content" not in api.post().json()["choices"][0]["message"]


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_reasoning_models_thinking_is_kept(
    emu: MashaGPTEmulator, run: Runner, mode: str
) -> None:
    message = await answered(run, model_on(emu, model="deepseek-reasoner"), mode)
    assert message.content == "2 + 2 = 4."
    reasoning = message.additional_kwargs["reasoning_content"]
    assert reasoning == "The last message is a user message; I answer in text."
    blocks = message.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    assert blocks[1]["type"] == "text"


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_scripted_reasoning_reaches_any_model(
    emu: MashaGPTEmulator, run: Runner, mode: str
) -> None:
    emu.enqueue(Reply.text("Париж.", reasoning="Столица Франции — Париж."))
    message = await answered(run, model_on(emu), mode, "Столица Франции?")
    assert message.content == "Париж."
    assert message.additional_kwargs["reasoning_content"] == "Столица Франции — Париж."


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_reasoning_is_never_sent_back_in_a_history(
    emu: MashaGPTEmulator, run: Runner, mode: str
) -> None:
    model = model_on(emu, model="deepseek-reasoner")
    first = await answered(run, model, mode)
    await run.invoke(model, [HumanMessage("What is 2+2?"), first, HumanMessage("And 3+3?")])
    sent = emu.requests[-1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": "2 + 2 = 4."}
    assert "reasoning" not in str(sent)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_reasoning_model_calls_tools_with_its_thinking_kept(
    emu: MashaGPTEmulator, run: Runner, mode: str
) -> None:
    def get_weather(city: str) -> str:
        """Get the weather in a city."""
        return "sunny"

    model = model_on(emu, model="deepseek-reasoner").bind_tools([get_weather])
    message = await answered(run, model, mode, "What is the weather in Paris?")
    assert [c["name"] for c in message.tool_calls] == ["get_weather"]
    assert "I call" in message.additional_kwargs["reasoning_content"]
    assert message.content_blocks[0]["type"] == "reasoning"
