"""trustcall on `ChatMashaGPT`: `create_extractor` with a pydantic schema, in the four modes.

Three runs, as trustcall's README shows them: a forced extraction; one whose
first call fails validation, so trustcall asks for a JSON patch through a
forced choice of two tools (the `select_tool` dispatcher goes out) and applies
it; and the update of an existing document through a forced `PatchDoc`.
Every request is checked, the answer is the validated pydantic object.

trustcall 0.0.39's extractor cannot stream: its last step reads `msg_id` from
a partial state and raises `KeyError` in `stream` and `astream`, with
langchain-core's `GenericFakeChatModel` too (the last test shows it), so the
streamed modes are marked as the library's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field
from trustcall import create_extractor

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import MODES, Mode, Turn, call, expect_requests, system, user

QUESTION = "My name is Alice and I'm 30 years old"
UPDATE = "I just turned 31"
THIRTY = {"name": "Alice", "age": "thirty"}
CANNOT_STREAM = pytest.mark.xfail(
    strict=True,
    raises=KeyError,
    reason="trustcall 0.0.39's own: its extractor raises KeyError('msg_id') when streamed, "
    "with GenericFakeChatModel too",
)
EXISTING_PROMPT = (
    "Generate JSONPatches to update the existing schema instances.\n<existing>\n"
    "<schema id=UserInfo>\n<instance>\n{'name': 'Alice', 'age': 30}\n</instance>\n"
)


class UserInfo(BaseModel):
    """The user's profile."""

    name: str = Field(description="User's full name")
    age: int = Field(description="User's age in years")


def modes() -> list[Any]:
    """The four modes, the streamed ones marked as trustcall's failure."""
    return [pytest.param(m, marks=CANNOT_STREAM) if "stream" in m else m for m in MODES]


@pytest.fixture(params=modes())
def mode(request: pytest.FixtureRequest) -> Mode:
    return Mode(request.param)


def extractor(emu: MashaGPTEmulator) -> Any:
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
    return create_extractor(model, tools=[UserInfo], tool_choice="UserInfo")


def replace(path: str, value: Any, **fields: str) -> dict[str, Any]:
    """A patch tool's arguments: one JSON patch replacing `path` by `value`."""
    return {**fields, "patches": [{"op": "replace", "path": path, "value": value}]}


async def test_a_forced_extraction_is_validated(emu: MashaGPTEmulator, mode: Mode) -> None:
    emu.enqueue(Reply.function_call("UserInfo", '{"name": "Alice", "age": 30}'))

    out = await mode.last(extractor(emu), {"messages": [("human", QUESTION)]})

    assert out["responses"] == [UserInfo(name="Alice", age=30)]
    assert out["attempts"] == 1
    expect_requests(emu, mode.streams, Turn([user(QUESTION)], ["UserInfo"], {"name": "UserInfo"}))


async def test_a_call_that_fails_validation_is_patched(emu: MashaGPTEmulator, mode: Mode) -> None:
    patch = replace("/age", 30, json_doc_id="the call", planned_edits="age is an integer")
    emu.enqueue(
        Reply.function_call("UserInfo", json.dumps(THIRTY)),
        Reply.function_call("select_tool", json.dumps({"PatchFunctionErrors": patch})),
    )

    out = await mode.last(extractor(emu), {"messages": [("human", QUESTION)]})

    assert out["responses"] == [UserInfo(name="Alice", age=30)]
    assert out["attempts"] == 2
    call_id = out["response_metadata"][0]["id"]
    bodies = [r.body for r in emu.requests]
    error = bodies[1]["messages"][2]["content"]
    assert error.startswith("Error:\n\n```\n1 validation error for UserInfo\nage\n")
    assert error.endswith(f"for json_doc_id=[{call_id}].")
    dispatcher = bodies[1]["functions"][0]["parameters"]["properties"]
    assert sorted(dispatcher) == ["PatchFunctionErrors", "PatchFunctionName"]
    expect_requests(
        bodies,
        mode.streams,
        Turn([user(QUESTION)], ["UserInfo"], {"name": "UserInfo"}),
        Turn(
            [
                user(QUESTION),
                {
                    **call("UserInfo"),
                    "function_call": {"name": "UserInfo", "arguments": THIRTY},
                },
                {"role": "function", "name": "UserInfo", "content": error},
            ],
            ["select_tool"],
            {"name": "select_tool"},
        ),
    )


async def test_an_existing_document_is_updated(emu: MashaGPTEmulator, mode: Mode) -> None:
    patch = replace("/age", 31, json_doc_id="UserInfo", planned_edits="a birthday")
    emu.enqueue(Reply.function_call("PatchDoc", json.dumps(patch)))
    existing = {"UserInfo": {"name": "Alice", "age": 30}}

    out = await mode.last(extractor(emu), {"messages": [("human", UPDATE)], "existing": existing})

    assert out["responses"] == [UserInfo(name="Alice", age=31)]
    assert [m["json_doc_id"] for m in out["response_metadata"]] == ["UserInfo"]
    bodies = [r.body for r in emu.requests]
    prompt = bodies[0]["messages"][0]["content"]
    assert prompt.startswith(EXISTING_PROMPT)
    assert re.search(r"<json_schema>.*'title': 'UserInfo'.*</json_schema>", prompt, re.S)
    expect_requests(
        bodies,
        mode.streams,
        Turn([system(prompt), user(UPDATE)], ["PatchDoc"], {"name": "PatchDoc"}),
    )


class _FakeWithTools(GenericFakeChatModel):
    """langchain-core's fake chat model, with tools bound by ignoring them."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


@pytest.mark.parametrize("streamed", ["stream", "astream"])
async def test_trustcall_fails_streamed_with_a_fake_model_too(streamed: str) -> None:
    args = {"name": "Alice", "age": 30}
    answer = AIMessage("", tool_calls=[{"name": "UserInfo", "args": args, "id": "1"}])
    fake = _FakeWithTools(messages=iter([answer]))
    fake_extractor = create_extractor(fake, tools=[UserInfo], tool_choice="UserInfo")

    with pytest.raises(KeyError, match="msg_id"):
        await Mode(streamed).run(fake_extractor, {"messages": [("human", QUESTION)]})
