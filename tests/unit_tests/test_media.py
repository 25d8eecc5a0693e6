"""Tool results with media go as a placeholder; reasoning blocks are left out of the history."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_mashagpt._functions import results as _media
from tests.helpers import MockServer, Runner, completion

ASK = HumanMessage("Покажи график")
CALL = AIMessage("", tool_calls=[{"name": "chart", "args": {}, "id": "c1", "type": "tool_call"}])
PNG = base64.b64encode(b"\x89PNG" + bytes(300_000)).decode()


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_media, "_WARNED", set())


async def sent_result(server: MockServer, run: Runner, content: Any) -> str:
    server.json(completion())
    await run.invoke(server.model(), [ASK, CALL, ToolMessage(content, tool_call_id="c1")])
    wire = server.body["messages"]
    assert wire[1] == {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "chart", "arguments": "{}"},
    }
    assert wire[2]["role"] == "function"
    assert wire[2]["name"] == "chart"
    text: str = wire[2]["content"]
    return text


@pytest.mark.parametrize(
    ("block", "placeholder"),
    [
        (
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            "[image (image/png) left out: the MashaGPT API takes text only]",
        ),
        (
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            "[image left out: the MashaGPT API takes text only]",
        ),
        (
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG},
            },
            "[image (image/jpeg) left out: the MashaGPT API takes text only]",
        ),
        (
            {"type": "audio", "base64": PNG, "mime_type": "audio/wav"},
            "[audio (audio/wav) left out: the MashaGPT API takes text only]",
        ),
        (
            {"type": "input_audio", "input_audio": {"data": PNG, "format": "wav"}},
            "[audio (audio/wav) left out: the MashaGPT API takes text only]",
        ),
        (
            {"type": "file", "base64": PNG, "mime_type": "application/pdf", "filename": "r.pdf"},
            "[file (application/pdf, r.pdf) left out: the MashaGPT API takes text only]",
        ),
        (
            {"type": "file", "file": {"file_data": PNG, "filename": "r.pdf"}},
            "[file (r.pdf) left out: the MashaGPT API takes text only]",
        ),
        (
            {"type": "video", "url": "https://example.com/v.mp4"},
            "[video (https://example.com/v.mp4) left out: the MashaGPT API takes text only]",
        ),
    ],
)
async def test_a_media_block_goes_as_a_short_placeholder(
    server: MockServer, run: Runner, block: dict[str, Any], placeholder: str
) -> None:
    with pytest.warns(UserWarning, match="cannot take: it was sent as a placeholder"):
        text = await sent_result(server, run, ["Вот график: ", block])
    assert text == "Вот график: \n" + placeholder  # one block per line
    assert PNG[:100] not in server.requests[0].content.decode()
    assert len(server.requests[0].content) < 1_000


async def test_the_warning_is_given_once_per_kind(server: MockServer, run: Runner) -> None:
    image = {"type": "image", "base64": PNG, "mime_type": "image/png"}
    with pytest.warns(UserWarning, match="image content") as record:
        await sent_result(server, run, [image])
    server.requests.clear()
    await sent_result(server, run, [image, image])  # filterwarnings=error: a second would raise
    assert len(record) == 1


async def test_structured_results_keep_their_json_with_the_placeholder(
    server: MockServer, run: Runner
) -> None:
    content = [{"type": "image", "url": "https://x/y.png"}, {"rows": 3}]
    with pytest.warns(UserWarning, match="image content"):
        text = await sent_result(server, run, content)
    assert text == (
        '[{"type":"text","text":"[image (https://x/y.png) left out: the MashaGPT API takes '
        'text only]"},{"rows":3}]'
    )


@pytest.mark.parametrize(
    "block",
    [
        {"type": "reasoning", "reasoning": "Думаю…"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "x"}]},
        {"type": "reasoning_content", "reasoning_content": "think"},
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "redacted_thinking", "data": "opaque"},
    ],
)
async def test_reasoning_blocks_of_other_providers_are_left_out(
    server: MockServer, run: Runner, block: dict[str, Any]
) -> None:
    server.json(completion())
    answer = AIMessage([block, {"type": "text", "text": "Париж."}])
    await run.invoke(server.model(), [ASK, answer, HumanMessage("А Германии?")])
    assert server.body["messages"] == [
        {"role": "user", "content": "Покажи график"},
        {"role": "assistant", "content": "Париж."},
        {"role": "user", "content": "А Германии?"},
    ]


async def test_a_reasoning_block_beside_a_tool_call_is_left_out(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    thinking = {"type": "thinking", "thinking": "call chart", "signature": "s"}
    answer = AIMessage(
        [thinking], tool_calls=[{"name": "chart", "args": {}, "id": "c1", "type": "tool_call"}]
    )
    await run.invoke(server.model(), [ASK, answer, ToolMessage("ok", tool_call_id="c1")])
    assert server.body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "chart", "arguments": "{}"},
        },
        {"role": "function", "name": "chart", "content": "ok"},
    ]
