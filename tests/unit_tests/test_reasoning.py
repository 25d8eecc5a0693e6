"""`reasoning_content` / `reasoning` beside the content, from any gateway (issue #20, part 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from tests.helpers import MockServer, Runner, completion, merge


def events(key: str, deltas: list[dict[str, Any]]) -> str:
    body = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": d}]} for d in deltas]
    body.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return "".join(f"data: {json.dumps(e)}\n\n" for e in body) + "data: [DONE]\n\n"


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
async def test_reasoning_beside_the_content_is_kept(
    server: MockServer, run: Runner, mode: str, key: str
) -> None:
    if mode == "invoke":
        body = completion("Четыре.")
        body["choices"][0]["message"][key] = "Два плюс два — четыре."
        server.json(body)
        message: AIMessage = await run.invoke(server.model(), "2+2?")
    else:
        deltas = [
            {"role": "assistant", "content": None, key: "Два плюс два"},
            {key: " — четыре."},
            {"content": "Четыре."},
        ]
        server.sse(events(key, deltas))
        message = merge(await run.stream(server.model(), "2+2?"))
    assert message.content == "Четыре."
    assert message.additional_kwargs["reasoning_content"] == "Два плюс два — четыре."
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": "Два плюс два — четыре."}


async def test_reasoning_in_the_same_delta_as_a_call_piece_keeps_both(
    server: MockServer, run: Runner
) -> None:
    deltas = [
        {"function_call": {"name": "f", "arguments": '{"a": '}, "reasoning_content": "Нужно f."},
        {"function_call": {"arguments": "1}"}},
    ]
    server.sse(events("reasoning_content", deltas))
    model = server.model().bind(functions=[{"name": "f", "parameters": {}}])
    message = merge(await run.stream(model, "x"))
    assert message.additional_kwargs["reasoning_content"] == "Нужно f."
    assert message.additional_kwargs["function_call"] == {"name": "f", "arguments": '{"a": 1}'}
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("f", {"a": 1})]


@pytest.mark.parametrize("value", [None, "", {"effort": "high"}])
async def test_no_reasoning_text_adds_nothing(server: MockServer, run: Runner, value: Any) -> None:
    body = completion("Да.")
    body["choices"][0]["message"]["reasoning"] = value
    server.json(body)
    message = await run.invoke(server.model(), "x")
    assert "reasoning_content" not in message.additional_kwargs
    assert [b["type"] for b in message.content_blocks] == ["text"]
