"""langchain-classic on `ChatMashaGPT`: structured output.

`with_structured_output` in the four modes, checking the answer and every
request. The agents (`create_openai_functions_agent`, `create_openai_tools_agent`,
`create_tool_calling_agent` + `AgentExecutor`) and the functions-era parsers are
in `test_classic_functions.py`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.prompts import ChatPromptTemplate

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    Mode,
    Turn,
    Weather,
    expect_requests,
    user,
)

PROMPT = ChatPromptTemplate.from_messages([("human", "{question}")])


async def test_with_structured_output_in_a_chain(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(Reply.function_call("Weather", '{"city": "Kazan", "degrees": 18}'))
    chain = PROMPT | model.with_structured_output(Weather)

    outputs = await mode.run(chain, {"question": "Weather in Kazan?"})

    assert outputs[-1] == Weather(city="Kazan", degrees=18)
    expect_requests(
        emu, mode.streams, Turn([user("Weather in Kazan?")], ["Weather"], {"name": "Weather"})
    )


async def test_with_structured_output_include_raw_on_the_rule_based_model(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    structured = model.with_structured_output(Weather, include_raw=True)

    output: dict[str, Any] = {}
    for chunk in await mode.run(structured, "Weather in Kazan?"):
        # streamed, the keys come in separate chunks, and `raw` in pieces
        for key, value in chunk.items():
            output[key] = output[key] + value if key == "raw" and key in output else value

    assert output["parsing_error"] is None
    assert isinstance(output["parsed"], Weather)
    assert output["raw"].tool_calls[0]["args"] == output["parsed"].model_dump()
    expect_requests(
        emu, mode.streams, Turn([user("Weather in Kazan?")], ["Weather"], {"name": "Weather"})
    )
