"""langchain-classic's functions-era code, unchanged, on `ChatMashaGPT`.

Code written for OpenAI's `functions` protocol reads the call from
`additional_kwargs["function_call"]`: `create_openai_functions_agent`'s parser,
`JsonOutputFunctionsParser` and its kin (partially, while the call streams),
and chains that `bind(functions=..., function_call=...)` directly, like
`create_openai_fn_runnable`. `create_openai_tools_agent` binds OpenAI's newer
`tools=`, which the model translates. Four modes each; the answer and every
request are checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_classic.agents import (
    AgentExecutor,
    create_openai_functions_agent,
    create_openai_tools_agent,
    create_tool_calling_agent,
)
from langchain_classic.chains.structured_output import create_openai_fn_runnable
from langchain_core.output_parsers.openai_functions import (
    JsonKeyOutputFunctionsParser,
    JsonOutputFunctionsParser,
    PydanticOutputFunctionsParser,
)
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.utils.function_calling import convert_to_openai_function

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import (
    AGENT_PROMPT,
    SYSTEM,
    Mode,
    Person,
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

# factory -> the `function_call` its requests carry: `bind(functions=...)` sends none,
# `bind(tools=...)`, translated to `bind_tools`, sends "auto".
AGENTS = {
    "openai_functions": (create_openai_functions_agent, None),
    "openai_tools": (create_openai_tools_agent, "auto"),
    "tool_calling": (create_tool_calling_agent, "auto"),
}


@pytest.mark.parametrize(("factory", "choice"), AGENTS.values(), ids=AGENTS.keys())
async def test_agent_executor_runs_two_tools_then_answers(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode, factory: Any, choice: str | None
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Paris"}'),
        Reply.function_call("get_time", '{"zone": "Europe/Paris"}'),
        Reply.text("Sunny and 21 °C in Paris; it is noon."),
    )
    agent = factory(model, [get_weather, get_time], AGENT_PROMPT)
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
        Turn(asked, functions, choice),
        Turn(asked + weather, functions, choice),
        Turn(asked + weather + time, functions, choice),
    )


async def test_functions_agent_keeps_a_chat_history(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("get_weather", '{"city": "Oslo"}'),
        Reply.text("Sunny in Oslo."),
    )
    agent = create_openai_functions_agent(model, [get_weather], AGENT_PROMPT)
    executor = AgentExecutor(agent=agent, tools=[get_weather], return_intermediate_steps=True)
    history = [("human", "I live in Oslo."), ("ai", "Noted: Oslo.")]

    chunks = await mode.run(executor, {"input": "Weather at home?", "chat_history": history})

    output = _merged(chunks) if mode.streams else chunks[0]
    assert output["output"] == "Sunny in Oslo."
    [(action, observation)] = output["intermediate_steps"]
    assert (action.tool, action.tool_input, observation) == (
        "get_weather",
        {"city": "Oslo"},
        "Sunny, 21 °C in Oslo",
    )
    weather = result("get_weather", "Sunny, 21 °C in Oslo")
    asked = [
        system(SYSTEM),
        user("I live in Oslo."),
        {"role": "assistant", "content": "Noted: Oslo."},
        user("Weather at home?"),
    ]
    expect_requests(
        emu,
        True,  # AgentExecutor streams the model in every mode
        Turn(asked, ["get_weather"]),
        Turn([*asked, call("get_weather", city="Oslo"), weather], ["get_weather"]),
    )


def _merged(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """AgentExecutor's streamed steps, with the final output and every step."""
    steps = [(s.action, s.observation) for chunk in chunks for s in chunk.get("steps", [])]
    return {"output": chunks[-1]["output"], "intermediate_steps": steps}


# -- function parsers and function chains ----------------------------------------

WEATHER_FUNCTION = convert_to_openai_function(Weather)
PROMPT = ChatPromptTemplate.from_messages([("human", "{question}")])
ARGUMENTS = '{"city": "Kazan", "degrees": 18}'


PARSERS: dict[str, tuple[Any, Any]] = {
    "json": (JsonOutputFunctionsParser(), {"city": "Kazan", "degrees": 18}),
    "pydantic": (
        PydanticOutputFunctionsParser(pydantic_schema=Weather),
        Weather(city="Kazan", degrees=18),
    ),
    "json_key": (JsonKeyOutputFunctionsParser(key_name="city"), "Kazan"),
    "json_with_name": (
        JsonOutputFunctionsParser(args_only=False),
        {"name": "Weather", "arguments": {"city": "Kazan", "degrees": 18}},
    ),
}


@pytest.mark.parametrize(("parser", "expected"), PARSERS.values(), ids=PARSERS.keys())
async def test_function_parsers_read_the_forced_call(
    emu: MashaGPTEmulator, model: ChatMashaGPT, mode: Mode, parser: Any, expected: Any
) -> None:
    emu.enqueue(Reply.function_call("Weather", ARGUMENTS))
    bound = model.bind(functions=[WEATHER_FUNCTION], function_call={"name": "Weather"})
    chain = PROMPT | bound | parser

    outputs = await mode.run(chain, {"question": "Weather in Kazan?"})

    assert outputs[-1] == expected
    expect_requests(
        emu, mode.streams, Turn([user("Weather in Kazan?")], ["Weather"], {"name": "Weather"})
    )
    body = emu.requests[0].body
    assert body["functions"] == [WEATHER_FUNCTION]


@pytest.mark.parametrize("streamed", [Mode("stream"), Mode("astream")], ids=["stream", "astream"])
async def test_json_functions_parser_streams_partial_objects(
    emu: MashaGPTEmulator, model: ChatMashaGPT, streamed: Mode
) -> None:
    city = "Petropavlovsk-Kamchatsky and its surroundings"
    emu.enqueue(Reply.function_call("Weather", f'{{"city": "{city}", "degrees": 7}}'))
    bound = model.bind(functions=[WEATHER_FUNCTION], function_call={"name": "Weather"})
    chain = PROMPT | bound | JsonOutputFunctionsParser()

    partials = await streamed.run(chain, {"question": "Weather?"})

    assert partials[-1] == {"city": city, "degrees": 7}
    cities = [partial.get("city", "") for partial in partials]
    assert all(city.startswith(piece) for piece in cities)
    assert any(piece != city for piece in cities), "no partial object came before the whole"
    expect_requests(emu, True, Turn([user("Weather?")], ["Weather"], {"name": "Weather"}))


RUNNABLES: dict[str, tuple[list[Any], Reply, Any, Any]] = {
    "one_pydantic_function_forced": (
        [Person],
        Reply.function_call("Person", '{"name": "Ivan", "age": 34}'),
        Person(name="Ivan", age=34),
        {"name": "Person"},
    ),
    "two_functions_auto": (
        [Person, Weather],
        Reply.function_call("Weather", ARGUMENTS),
        Weather(city="Kazan", degrees=18),
        None,
    ),
}


@pytest.mark.filterwarnings("ignore:The function `create_openai_fn_runnable`")
@pytest.mark.parametrize(
    ("functions", "reply", "expected", "forced"), RUNNABLES.values(), ids=RUNNABLES.keys()
)
async def test_create_openai_fn_runnable(
    emu: MashaGPTEmulator,
    model: ChatMashaGPT,
    mode: Mode,
    functions: list[Any],
    reply: Reply,
    expected: Any,
    forced: Any,
) -> None:
    emu.enqueue(reply)
    chain = create_openai_fn_runnable(functions, model, PROMPT)

    outputs = await mode.run(chain, {"question": "Ivan is 34; Kazan has 18 °C."})

    assert outputs[-1] == expected
    names = [f.__name__ for f in functions]
    expect_requests(emu, mode.streams, Turn([user("Ivan is 34; Kazan has 18 °C.")], names, forced))
