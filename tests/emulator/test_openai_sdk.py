"""The official `openai` SDK talks to the emulator: plain, streamed, function call."""

from __future__ import annotations

import json
from typing import cast

import openai
import pytest
from openai.types.shared_params import FunctionDefinition

from langchain_mashagpt.testing import MashaGPTEmulator
from tests.emulator.helpers import WEATHER

FUNCTION = cast("FunctionDefinition", WEATHER)


def test_plain_completion(emu: MashaGPTEmulator) -> None:
    with openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0) as client:
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
        )
    assert completion.choices[0].message.content == "Hello! How can I help you today?"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (
        completion.usage.total_tokens
        == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert (completion.usage.model_extra or {})["total_energy"] > 0
    assert emu.last_request.headers["authorization"] == f"Bearer {emu.api_key}"


def test_streamed_completion(emu: MashaGPTEmulator) -> None:
    with (
        openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0) as client,
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Привет"}],
            stream=True,
            stream_options={"include_usage": True},
        ) as stream,
    ):
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Привет! Чем могу помочь?"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None


def test_function_call(emu: MashaGPTEmulator) -> None:
    with openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0) as client:
        completion = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "What is the weather in San Francisco, CA?"}],
            functions=[FUNCTION],
            function_call={"name": "get_weather"},
        )
        call = completion.choices[0].message.function_call
        assert call is not None
        assert call.name == "get_weather"
        assert json.loads(call.arguments) == {"location": "San Francisco, CA"}
        assert completion.choices[0].finish_reason == "function_call"
        follow_up = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "user", "content": "What is the weather in San Francisco, CA?"},
                {
                    "role": "assistant",
                    "content": None,
                    "function_call": {"name": call.name, "arguments": call.arguments},
                },
                {"role": "function", "name": "get_weather", "content": "It's sunny."},
            ],
            functions=[FUNCTION],
        )
    assert follow_up.choices[0].message.content == "The result of get_weather is It's sunny."


async def test_async_streamed_function_call(emu: MashaGPTEmulator) -> None:
    async with openai.AsyncOpenAI(
        base_url=emu.base_url, api_key=emu.api_key, max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "What is the weather in Paris? Use the tool."}],
            functions=[FUNCTION],
            stream=True,
        )
        name = arguments = ""
        async with stream:
            async for chunk in stream:
                call = chunk.choices[0].delta.function_call if chunk.choices else None
                if call is not None:
                    name += call.name or ""
                    arguments += call.arguments or ""
    assert name == "get_weather"
    assert json.loads(arguments) == {"location": "Paris"}


def test_sdk_sees_strict_errors(emu: MashaGPTEmulator) -> None:
    client = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    with client, pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            tools=[{"type": "function", "function": FUNCTION}],
        )
    assert raised.value.status_code == 400
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["param"] == "tools"
