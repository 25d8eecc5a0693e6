"""Answers that are wrong (or right) in a subtle way, from a server on a real socket.

`"error": false` next to choices raised `APIError`; `n=2` generations followed the
list's order, not `index`, and two choices with one index passed; an SSE
`event: error` was read as content.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_mashagpt import ChatMashaGPT, errors
from tests.helpers import Runner
from tests.reliability.helpers import MODES, answer
from tests.reliability.hostile import DONE, Connection, Hostile, chunk, completion, event

Start = Callable[..., Hostile]


def model_on(server: Hostile, **kwargs: Any) -> ChatMashaGPT:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 5.0)
    return ChatMashaGPT(api_key="sk-hostile-test", base_url=server.base_url, **kwargs)


# ---------------------------------------------------------------- "error": false


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("flag", [False, None, {}, "", 0], ids=repr)
async def test_an_error_field_that_says_no_error_is_no_error(
    run: Runner, hostile: Start, mode: str, flag: Any
) -> None:
    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            conn.stream(
                [event(chunk("Hello", error=flag)), event(chunk(" world", error=flag)), DONE]
            )
            conn.end_chunks()
        else:
            conn.reply(200, completion(error=flag))

    assert await answer(run, model_on(hostile(handle)), mode) == "Hello world"


@pytest.mark.parametrize("mode", MODES)
async def test_a_real_error_object_next_to_choices_is_still_an_error(
    run: Runner, hostile: Start, mode: str
) -> None:
    error = {"message": "Model overloaded", "code": "overloaded"}

    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            conn.stream([event(chunk("Hello", error=error)), DONE])
            conn.end_chunks()
        else:
            conn.reply(200, completion(error=error))

    with pytest.raises(errors.APIError, match="Model overloaded") as info:
        await answer(run, model_on(hostile(handle)), mode)
    assert info.value.code == "overloaded"


# ---------------------------------------------------------------- n > 1: by index


def _choices(*indexes: Any) -> dict[str, Any]:
    body = completion(choices=0)
    for k, index in enumerate(indexes):
        choice: dict[str, Any] = {
            "message": {
                "role": "assistant",
                "content": f"answer {index if index is not None else k}",
            },
            "finish_reason": "stop",
        }
        if index is not None:
            choice["index"] = index
        body["choices"].append(choice)
    return body


@pytest.mark.parametrize(
    ("indexes", "texts"),
    [
        ((2, 0, 1), ["answer 0", "answer 1", "answer 2"]),
        ((1, 0, 2), ["answer 0", "answer 1", "answer 2"]),
        ((None, None, None), ["answer 0", "answer 1", "answer 2"]),  # missing: the place
        ((None, 2, 1), ["answer 0", "answer 1", "answer 2"]),
    ],
)
async def test_several_choices_come_in_the_order_of_their_index(
    run: Runner, hostile: Start, indexes: tuple[Any, ...], texts: list[str]
) -> None:
    server = hostile(lambda conn: conn.reply(200, _choices(*indexes)))
    result = await run.generate(model_on(server), [[HumanMessage("Hello")]], n=3)
    assert [g.text for g in result.generations[0]] == texts
    assert json.loads(server.requests[0].body)["n"] == 3


@pytest.mark.parametrize(
    ("indexes", "said"),
    [
        ((1, 1), "two choices with index 1"),
        ((None, 0), "two choices with index 0"),  # the missing one is at place 0
        ((0, "1"), "choice 1 has index '1', not a whole number"),
        ((0, True), "choice 1 has index 'True', not a whole number"),
    ],
)
async def test_choices_that_cannot_be_told_apart_are_refused(
    run: Runner, hostile: Start, indexes: tuple[Any, ...], said: str
) -> None:
    server = hostile(lambda conn: conn.reply(200, _choices(*indexes)))
    with pytest.raises(errors.APIResponseValidationError, match=said):
        await run.generate(model_on(server), [[HumanMessage("Hello")]], n=2)


# ---------------------------------------------------------------- event: error


@pytest.mark.parametrize("mode", ["stream", "streaming_invoke"])
@pytest.mark.parametrize(
    ("data", "said", "code"),
    [
        (
            b'{"error": {"message": "Upstream provider failed", "code": "upstream"}}',
            "Upstream provider failed",
            "upstream",
        ),
        (
            b'{"message": "Quota exceeded mid-stream", "type": "quota"}',
            "Quota exceeded mid-stream",
            None,
        ),
        (b"Internal hiccup, try again", "Internal hiccup, try again", None),
    ],
    ids=["wrapped", "bare-object", "text"],
)
async def test_an_sse_error_event_is_an_api_error_with_the_servers_message(
    run: Runner, hostile: Start, mode: str, data: bytes, said: str, code: str | None
) -> None:
    def handle(conn: Connection) -> None:
        conn.stream([event(chunk("Hello")), b"event: error\ndata: " + data + b"\n\n", DONE])
        conn.end_chunks()

    with pytest.raises(errors.APIError) as info:
        await answer(run, model_on(hostile(handle)), mode)
    assert type(info.value) is errors.APIError
    assert "error in its stream (event: error)" in str(info.value)
    assert said in str(info.value)
    assert info.value.code == code
    assert "Hello" not in str(info.value)
