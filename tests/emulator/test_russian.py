"""The rule-based model answers a Russian question as it answers the English one."""

from __future__ import annotations

import pytest
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator
from langchain_mashagpt.testing._args import generate_arguments, nominative, relevance
from tests.helpers import Runner


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C, облачно, {city}"


@pytest.mark.parametrize(
    ("question", "city"),
    [
        ("Какая погода в Москве?", "Москва"),  # README.ru.md and docs/tools.md
        ("What is the weather in Moscow?", "Moscow"),
        ("Погода в Париже сейчас?", "Париж"),
        ("Какая погода в Санкт-Петербурге?", "Санкт-Петербург"),
    ],
)
async def test_a_weather_question_calls_the_tool_with_the_city(
    run: Runner, question: str, city: str
) -> None:
    with MashaGPTEmulator() as emu:
        model = ChatMashaGPT(model="gpt-4o-mini", api_key=emu.api_key, base_url=emu.base_url)
        message = await run.invoke(model.bind_tools([get_weather]), question)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("get_weather", {"city": city})]


async def test_a_russian_greeting_calls_no_tool(run: Runner) -> None:
    with MashaGPTEmulator() as emu:
        model = ChatMashaGPT(model="gpt-4o-mini", api_key=emu.api_key, base_url=emu.base_url)
        message = await run.invoke(model.bind_tools([get_weather]), "Привет!")
    assert message.tool_calls == []
    assert message.content


@pytest.mark.parametrize(
    ("declined", "name"),
    [("Москве", "Москва"), ("Москвы", "Москва"), ("Москва", "Москва"), ("Берлине", "Берлин")],
)
def test_a_declined_city_is_named_in_the_nominative(declined: str, name: str) -> None:
    assert nominative(declined) == name


@pytest.mark.parametrize("phrase", ["Москвич", "Мария", "Moscow", "Римский-Корсаков"])
def test_other_phrases_are_left_as_they_are(phrase: str) -> None:
    assert nominative(phrase) == phrase


def test_a_russian_stem_counts_as_the_tools_word() -> None:
    assert relevance("get_weather", "Какая погода в Москве?") == 1
    assert relevance("get_weather", "What is the weather?") == 1
    assert relevance("get_news", "Какая погода в Москве?") == 0


def test_arguments_take_the_city_in_the_nominative() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    assert generate_arguments(schema, "Какая погода в Москве?") == {"city": "Москва"}
