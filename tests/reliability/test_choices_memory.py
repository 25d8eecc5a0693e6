"""Extra choices are refused while the body is parsed, so they cost no memory, on real sockets.

300,000 empty choices in a 25 MB body (under the 64 MiB cap) answering `n=1` were all
parsed into Python objects (+255 MB) before they were counted. The figures at full size
are printed by `benchmarks/choices_memory.py`; here a 5 MB body, and memory traced.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http.completion import CAREFUL_ABOVE
from langchain_mashagpt._http.sse import parse_completion
from tests.helpers import Runner
from tests.reliability.hostile import Hostile

Start = Callable[..., Hostile]
CHOICE = {"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": None}


def many_choices(count: int, tail: str = "") -> bytes:
    head = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m"}
    text = json.dumps({**head, "choices": [CHOICE] * count}, separators=(",", ":"))
    return (text[:-2] + tail + "]}").encode() if tail else text.encode()


def model_on(server: Hostile) -> ChatMashaGPT:
    return ChatMashaGPT(api_key="sk-hostile-test", base_url=server.base_url, max_retries=0)


async def test_a_body_of_extra_choices_costs_a_small_multiple_of_its_size(
    run: Runner, hostile: Start
) -> None:
    content = many_choices(60_000)  # about 5 MB
    server = hostile(lambda conn: conn.reply(200, content))
    model = model_on(server)
    tracemalloc.start()
    try:
        with pytest.raises(errors.APIResponseValidationError, match="more than the n=1 choice"):
            await run.invoke(model, "Hello")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The body read, joined and decoded once each, and the server's copy: not 10 times it.
    assert peak < 5 * len(content), (peak, len(content))


def test_the_parse_stops_at_the_choice_past_n() -> None:
    # What follows the extra choice is never read: a whole parse would call it "not JSON".
    content = many_choices(40_000, tail=',{"index": 1, "message": broken')
    with pytest.raises(errors.APIResponseValidationError, match="more than the n=2 choice"):
        parse_completion(content, 2)
    with pytest.raises(errors.APIResponseValidationError, match="not JSON"):
        parse_completion(b"[1" + b",1" * 20_000 + b"," * CAREFUL_ABOVE, 1)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"choices": [' + b'{"index": 0},' + b" " * CAREFUL_ABOVE + b"NaN]}", "not JSON"),
        (b'{"choices": [], "x": "' + b"a," * CAREFUL_ABOVE + b'"', "not JSON"),
        (b'{"choices": [], "x": "' + b"a," * CAREFUL_ABOVE + b'"} extra', "not JSON"),
    ],
    ids=["nan", "cut", "extra-data"],
)
def test_the_careful_parse_refuses_what_orjson_refuses(content: bytes, said: str) -> None:
    with pytest.raises(errors.APIResponseValidationError, match=said):
        parse_completion(content, 1)


@pytest.mark.parametrize("n", [1, 2])
async def test_a_large_answer_within_n_is_read_whole(run: Runner, hostile: Start, n: int) -> None:
    text = 'Маша, Миша и "кавычки"\n, ' * 60_000  # over 1 MiB, with many commas
    body: dict[str, Any] = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m"}
    body["choices"] = [
        {
            "index": i,
            "message": {"role": "assistant", "content": f"{i}: {text}"},
            "finish_reason": "stop",
        }
        for i in reversed(range(n))
    ]
    body["usage"] = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "id": 2**70}
    content = json.dumps(body, ensure_ascii=False).encode()
    assert len(content) > CAREFUL_ABOVE
    server = hostile(lambda conn: conn.reply(200, content))
    result = await run.generate(model_on(server), [[HumanMessage("Hi")]], n=n)
    assert [g.text for g in result.generations[0]] == [f"{i}: {text}" for i in range(n)]
    assert result.generations[0][0].message.usage_metadata["total_tokens"] == 3
