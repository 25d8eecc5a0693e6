"""A cassette test of your own chain: recorded once, replayed offline on every run.

`langchain_mashagpt.testing.vcr_config()` gives pytest-recording settings that keep the
API key out of the cassette and match requests on method, path and JSON body (not on
host or port), so a cassette recorded against the real API or against the emulator
replays wherever `base_url` points. The cassettes sit in `cassettes/` beside this file.

Replay (no network, no key; this repository's pytest settings add `--record-mode=none`):

    pytest examples/test_cassette_example.py --record-mode=none

Record again, against the emulator (as the committed cassettes were) or the real API:

    mashagpt-emulator --port 8000 &
    MASHAGPT_BASE_URL=http://127.0.0.1:8000/v1 MASHAGPT_API_KEY=sk-mashagpt-emulator-test-key \
        pytest examples/test_cassette_example.py --record-mode=rewrite --force-enable-socket
"""

import os

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT, get_mashagpt_callback
from langchain_mashagpt.testing import vcr_config as mashagpt_vcr_config


@pytest.fixture(scope="module")
def vcr_config():
    return mashagpt_vcr_config()


@pytest.fixture
def model() -> ChatMashaGPT:
    # On replay no request leaves the machine: any non-empty key will do.
    api_key = os.environ.get("MASHAGPT_API_KEY", "not-needed-on-replay")
    return ChatMashaGPT(model="gpt-4o-mini", temperature=0, api_key=api_key)


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C and cloudy in {city}"


def calculator_chain(model: ChatMashaGPT):
    """The chain under test: your own prompt, the model, a parser."""
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You are a calculator. Answer with the expression and its result."),
            ("human", "What is {a} * {b}?"),
        ]
    )
    return prompt | model | StrOutputParser()


@pytest.mark.vcr
def test_chain_answers(model: ChatMashaGPT) -> None:
    with get_mashagpt_callback() as cb:
        answer = calculator_chain(model).invoke({"a": 12, "b": 7})
    assert "84" in answer
    assert cb.successful_requests == 1
    assert cb.total_energy > 0  # the recorded usage, energy included, is replayed too


@pytest.mark.vcr
def test_chain_streams(model: ChatMashaGPT) -> None:
    pieces = list(calculator_chain(model).stream({"a": 6, "b": 7}))
    assert len(pieces) > 1
    assert "42" in "".join(pieces)


@pytest.mark.vcr
def test_tool_round_trip(model: ChatMashaGPT) -> None:
    model_with_tools = model.bind_tools([get_weather])
    messages = [("human", "What is the weather in Moscow?")]
    request = model_with_tools.invoke(messages)
    [call] = request.tool_calls
    assert call["name"] == "get_weather"
    assert "moscow" in call["args"]["city"].lower()
    answer = model_with_tools.invoke([*messages, request, get_weather.invoke(call)])
    assert "+5 °C" in answer.text
