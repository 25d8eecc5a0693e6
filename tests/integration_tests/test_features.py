"""Our own features against recorded traffic, each sync and async.

Every test runs on a cassette in `tests/cassettes/test_features/` (see `conftest.py`).
Assertions hold for any faithful MashaGPT answer, not only the emulator's wording.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._convert.usage import ENERGY_KEYS
from langchain_mashagpt.errors import AuthenticationError
from tests.helpers import Runner, merge

if TYPE_CHECKING:
    from vcr.cassette import Cassette

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Солнечно, +20 °C ({city})"


@tool
def get_time(zone: str) -> str:
    """Get the current time in a time zone."""
    return f"12:00 ({zone})"


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


def _assert_energy(token_usage: dict[str, Any]) -> None:
    for key in ENERGY_KEYS:
        assert isinstance(token_usage[key], int), key
    assert token_usage["total_energy"] == (
        token_usage["prompt_energy"] + token_usage["completion_energy"]
    )
    assert token_usage["total_energy"] > 0


async def test_energy_on_invoke(chat: ChatMashaGPT, run: Runner) -> None:
    message = await run.invoke(chat, "What is 2+2?")
    assert isinstance(message, AIMessage)
    assert message.content
    usage = message.usage_metadata
    assert usage is not None
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    token_usage = message.response_metadata["token_usage"]
    _assert_energy(token_usage)
    assert token_usage["prompt_tokens"] == usage["input_tokens"]


async def test_energy_on_stream(chat: ChatMashaGPT, run: Runner) -> None:
    chunks = await run.stream(chat, "Tell me a joke about cats.")
    assert len(chunks) > 1
    total = merge(chunks)
    assert total.text
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] > 0
    assert total.response_metadata["finish_reason"] == "stop"
    _assert_energy(total.response_metadata["token_usage"])


async def test_tool_choice_any_goes_through_the_dispatcher(
    chat: ChatMashaGPT, run: Runner, vcr: Cassette
) -> None:
    bound = chat.bind_tools([get_weather, get_time], tool_choice="any")
    message = await run.invoke(bound, "What is the weather in Paris right now?")
    assert isinstance(message, AIMessage)
    assert len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call["name"] in {"get_weather", "get_time"}, "the dispatcher call is unwrapped"
    assert isinstance(call["args"], dict)
    assert call["id"]
    # On the wire: one forced function, the dispatcher; no `tools`.
    body = json.loads(vcr.requests[0].body)
    assert [f["name"] for f in body["functions"]] == ["select_tool"]
    assert body["function_call"] == {"name": "select_tool"}
    assert "tools" not in body


async def test_tool_choice_any_streams_one_unwrapped_call(chat: ChatMashaGPT, run: Runner) -> None:
    bound = chat.bind_tools([get_weather, get_time], tool_choice="any")
    total = merge(await run.stream(bound, "What time is it in the Europe/Moscow zone?"))
    assert len(total.tool_calls) == 1
    assert total.tool_calls[0]["name"] in {"get_weather", "get_time"}
    assert not total.invalid_tool_calls


async def test_agent_loop_with_create_agent(chat: ChatMashaGPT, run: Runner) -> None:
    agent = create_agent(chat, tools=[magic_function, get_weather])
    state = await run.invoke(
        agent, {"messages": [HumanMessage("What is the value of magic_function(3)?")]}
    )
    messages = state["messages"]
    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert calls, "the model called a tool"
    assert calls[0].tool_calls[0]["name"] == "magic_function"
    assert results[0].content == "5"
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert not final.tool_calls
    assert "5" in final.text


async def test_russian_round_trip(chat: ChatMashaGPT, run: Runner, vcr: Cassette) -> None:
    question = "Привет! Расскажи, пожалуйста, что ты умеешь."
    message = await run.invoke(chat, [SystemMessage("Отвечай по-русски."), HumanMessage(question)])
    assert _CYRILLIC.search(message.text)
    assert "\\u04" not in message.text
    # The request went out as UTF-8 text, not as \\u escapes.
    raw = vcr.requests[0].body
    sent = raw if isinstance(raw, bytes) else raw.encode()
    assert question.encode() in sent


async def test_russian_tool_arguments(chat: ChatMashaGPT, run: Runner) -> None:
    bound = chat.bind_tools([get_weather], tool_choice="get_weather")
    total = merge(await run.stream(bound, "Какая погода в городе «Москва»?"))
    assert total.tool_calls[0]["name"] == "get_weather"
    assert "Москва" in total.tool_calls[0]["args"]["city"]


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="the question that sets the joke up")
    punchline: str = Field(description="the answer that resolves it")


async def test_json_mode_parses_the_text_answer(chat: ChatMashaGPT, run: Runner) -> None:
    structured = chat.with_structured_output(Joke, method="json_mode")
    prompt = (
        "Tell me a joke about cats. Return the result as a JSON object with 'setup' and "
        "'punchline' keys. Return nothing other than JSON."
    )
    joke = await run.invoke(structured, prompt)
    assert isinstance(joke, Joke)
    assert joke.setup
    assert joke.punchline


async def test_several_choices(chat: ChatMashaGPT, run: Runner) -> None:
    result = await run.generate(chat, [[HumanMessage("Say hello in one word.")]], n=2)
    generations = result.generations[0]
    assert len(generations) == 2
    assert all(g.text for g in generations)


async def test_wrong_key_is_an_authentication_error(chat: ChatMashaGPT, run: Runner) -> None:
    model = ChatMashaGPT(
        model=chat.model, base_url=chat.base_url, api_key="sk-wrong-key", max_retries=0
    )
    with pytest.raises(AuthenticationError, match="HTTP 401"):
        await run.invoke(model, "Hello")
