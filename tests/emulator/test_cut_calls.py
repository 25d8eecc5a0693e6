"""A forced call cut by `max_tokens` on the emulator: invalid, and said so (issue #20, part 4)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from pydantic import BaseModel

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.helpers import Runner, merge


class Weather(BaseModel):
    """The weather in a city."""

    city: str


def model_on(emu: MashaGPTEmulator, **kwargs: Any) -> ChatMashaGPT:
    return ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, **kwargs)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("max_tokens", [1, 3])  # cut at "" (the name's tokens), and mid-way
async def test_a_forced_call_cut_by_max_tokens_is_invalid(
    emu: MashaGPTEmulator, run: Runner, mode: str, max_tokens: int
) -> None:
    model = model_on(emu, max_tokens=max_tokens).bind_tools([Weather], tool_choice="Weather")
    if mode == "invoke":
        message = await run.invoke(model, "Weather in Paris?")
    else:
        message = merge(await run.stream(model, "Weather in Paris?"))
    assert message.response_metadata["finish_reason"] == "length"
    assert message.tool_calls == []
    assert [c["name"] for c in message.invalid_tool_calls] == ["Weather"]
    assert emu.requests[-1].body["function_call"] == {"name": "Weather"}


@pytest.mark.parametrize("streaming", [False, True])
async def test_structured_output_cut_by_max_tokens_says_so(
    emu: MashaGPTEmulator, run: Runner, streaming: bool
) -> None:
    model = model_on(emu, max_tokens=1, streaming=streaming)
    with pytest.raises(OutputParserException, match=r"cut by max_tokens \(finish_reason length\)"):
        await run.invoke(model.with_structured_output(Weather), "Weather in Paris?")
    raw = await run.invoke(model.with_structured_output(Weather, include_raw=True), "Paris?")
    assert raw["parsed"] is None
    assert "raise max_tokens" in str(raw["parsing_error"])
