"""numpy's numbers are taken everywhere as the Python numbers they are, over real sockets.

The constructor took `np.float32(0.5)`; the same value per call or through `bind` was
refused with "temperature must be a number from 0 to 2", an `np.int64` `max_tokens` or
`deadline` with "must be a whole number", and one in `extra_body` raised a bare `TypeError`.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_mashagpt.testing import MashaGPTEmulator
from tests.helpers import Runner
from tests.reliability.helpers import chat

NUMBERS = {
    "temperature": np.float32(0.5),
    "top_p": np.float64(0.25),
    "max_tokens": np.int64(50),
    "presence_penalty": np.float16(0.5),
    "frequency_penalty": np.int8(1),
    "logit_bias": {np.int64(42): np.float32(-5)},
}
SENT = {
    "temperature": 0.5,
    "top_p": 0.25,
    "max_tokens": 50,
    "presence_penalty": 0.5,
    "frequency_penalty": 1,
    "logit_bias": {"42": -5.0},
}


TOOL = {
    "name": "rate",
    "description": "Rate something.",
    "parameters": {
        "type": "object",
        "properties": {
            "stars": {"type": "number", "minimum": np.int64(0), "maximum": np.float32(5)}
        },
    },
}


@pytest.mark.parametrize("mode", ["invoke", "stream", "streaming_invoke"])
@pytest.mark.parametrize("how", ["call", "bind", "constructor"])
async def test_numpy_numbers_are_sent_as_python_numbers(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, mode: str, how: str
) -> None:
    extra = {"extra_body": {"n": np.int64(1)}, "deadline": np.int64(30)}
    model = chat(mashagpt_emulator, **(NUMBERS if how == "constructor" else {}))
    if how == "bind":
        runnable = model.bind_tools([TOOL]).bind(**NUMBERS, **extra)
        call: dict[str, object] = {}
    else:
        runnable = model.bind_tools([TOOL])
        call = {**(NUMBERS if how == "call" else {}), **extra}
    if mode == "invoke":
        assert (await run.invoke(runnable, "Hello", **call)).content is not None
    elif mode == "stream":
        assert await run.stream(runnable, "Hello", **call)
    else:
        streaming = model.model_copy(update={"streaming": True}).bind_tools([TOOL])
        runnable = streaming.bind(**NUMBERS, **extra) if how == "bind" else streaming
        assert (await run.invoke(runnable, "Hello", **call)).content is not None
    body = json.loads(mashagpt_emulator.requests[-1].raw_body)
    assert {k: body[k] for k in SENT} == SENT
    assert body["n"] == 1
    stars = body["functions"][0]["parameters"]["properties"]["stars"]
    assert (stars["minimum"], stars["maximum"]) == (0, 5.0)


async def test_n_as_numpy_gives_that_many_choices_and_history_arguments_go_out(
    run: Runner, mashagpt_emulator: MashaGPTEmulator
) -> None:
    history = [
        HumanMessage("weather?"),
        AIMessage(
            "",
            tool_calls=[
                {"name": "w", "args": {"t": np.float64(21.5), "d": np.int32(3)}, "id": "c1"}
            ],
        ),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    result = await run.generate(chat(mashagpt_emulator), [history], n=np.int64(2))
    assert len(result.generations[0]) == 2
    body = json.loads(mashagpt_emulator.requests[-1].raw_body)
    assert body["n"] == 2
    assert json.loads(body["messages"][1]["function_call"]["arguments"]) == {"t": 21.5, "d": 3}


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("temperature", np.float32(3.0), "temperature must be a number from 0 to 2, got 3.0"),
        ("max_tokens", np.float64(5.0), "max_tokens must be a whole number of at least 1, got 5.0"),
        ("deadline", np.int64(0), "deadline must be a number of seconds above 0"),
    ],
)
async def test_a_numpy_number_out_of_range_is_refused_as_its_python_twin(
    run: Runner, mashagpt_emulator: MashaGPTEmulator, name: str, value: object, said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        await run.invoke(chat(mashagpt_emulator), "Hello", **{name: value})
    assert mashagpt_emulator.requests == []
