"""langchain-classic on `ChatMashaGPT`: the tool-calling agent and structured output.

`create_tool_calling_agent` + `AgentExecutor` and `with_structured_output`, each
in the four modes, checking the answer and every request. The functions-era
constructors and parsers are in `test_classic_functions.py`.
"""

from __future__ import annotations

from typing import Any

from langchain_classic.agents import AgentExecutor, create_tool_calling_agent
from langchain_core.prompts import ChatPromptTemplate

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    AGENT_PROMPT,
    SYSTEM,
    Mode,
    Turn,
    Weather,
    call,
    expect_requests,
    get_time,
    get_weather,
    result,
    system,
    user,
)


async def test_tool_calling_agent_runs_two_tools_then_answers(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.function_call("get_time", '{"zone": "Europe/Paris"}'),
        Reply.text("Sunny and 21 °C in Paris; it is noon."),
    )
    agent = create_tool_calling_agent(model, [get_weather, get_time], AGENT_PROMPT)
    executor = AgentExecutor(agent=agent, tools=[get_weather, get_time])

    output = await mode.last(executor, {"input": "Weather and time in Paris?"})

    assert output["output"] == "Sunny and 21 °C in Paris; it is noon."
    asked = [system(SYSTEM), user("Weather and time in Paris?")]
    weather = [call("get_weather", city="Paris"), result("get_weather", "Sunny, 21 °C in Paris")]
    time = [call("get_time", zone="Europe/Paris"), result("get_time", "12:00 in Europe/Paris")]
    functions = ["get_weather", "get_time"]
    expect_requests(
        emu,
        True,  # AgentExecutor streams the model in every mode
        Turn(asked, functions, "auto"),
        Turn(asked + weather, functions, "auto"),
        Turn(asked + weather + time, functions, "auto"),
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
