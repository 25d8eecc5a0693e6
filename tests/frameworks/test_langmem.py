"""langmem on `ChatMashaGPT`: `create_memory_manager`, in the four modes.

The manager runs trustcall's extractor over a conversation. langmem asks for
"a single parallel multi-tool call", so the model here has
`parallel_tool_calls=True`: two memories come back from one batch call. With
existing memories trustcall forces "any" of `PatchDoc` and the schemas: without
`parallel_tool_calls` that is the `select_tool` dispatcher, and an existing
memory is patched through it; with it, the batch function itself is forced, and
with `max_steps=2` the second request carries the first step's calls and their
results, where the model says `Done` in a batch.

The manager is a plain `Runnable`: `stream` and `astream` yield the result of
`invoke` and `ainvoke`, so its model never streams (every request has no
`stream`). langmem puts a random session id into its prompt and gives new
memories random ids: the checks read them back from what went out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langmem import create_memory_manager
from langmem.knowledge.extraction import ExtractedMemory, Memory

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import Mode, Turn, call, expect_requests, system, user

INSTRUCTIONS = "Remember the user's preferences and facts about them."
SUBROUTINE = "You are a memory subroutine for an AI."
CONVERSATION = [HumanMessage("I prefer dark mode and I live in Paris."), AIMessage("Noted!")]
SEEN = "\n\n".join(m.pretty_repr() for m in CONVERSATION)
BATCH = "multi_tool_use_parallel"
DARK, PARIS = "Prefers dark mode", "Lives in Paris"


def manager(emu: MashaGPTEmulator, *, parallel: bool = True) -> Any:
    model = ChatMashaGPT(
        base_url=emu.base_url, api_key=emu.api_key, max_retries=0, parallel_tool_calls=parallel
    )
    return create_memory_manager(model, instructions=INSTRUCTIONS)


def batch(*uses: tuple[str, dict[str, Any]]) -> str:
    """The batch function's arguments: each `(tool, arguments)` as one use."""
    tool_uses = [{"recipient_name": name, "parameters": args} for name, args in uses]
    return json.dumps({"tool_uses": tool_uses})


def session_prompt(body: dict[str, Any], *, attempts: int = 0) -> str:
    """The user message langmem sent: our instructions, then the conversation in a session."""
    content: str = body["messages"][1]["content"]
    found = re.search(r"<session_([0-9a-f-]{36})>", content)
    assert found, content
    session = found.group(1)
    tail = f"<session_{session}>\n{SEEN}\n</session_{session}>"
    if attempts:
        tail += f"\n\nYou have a maximum of {attempts} attempts"
    assert content.startswith(f"{INSTRUCTIONS}\n\n"), content
    assert content.endswith(tail), content
    return content


def existing_prompt(body: dict[str, Any], *instances: tuple[str, str]) -> str:
    """The system message of an update: the subroutine, then each existing memory."""
    content: str = body["messages"][0]["content"]
    assert content.startswith(f"{SUBROUTINE}\n\nGenerate JSONPatches"), content
    listed = "".join(
        f"<instance id={mem_id} schema_type=\"Memory\">\n{{'content': '{text}'}}\n</instance>\n"
        for mem_id, text in instances
    )
    assert content.endswith(f"<existing>\n{listed}</existing>\n"), content
    return content


def contents(memories: list[ExtractedMemory]) -> list[Any]:
    return [m.content for m in memories]


async def test_memories_come_back_from_one_batch_call(emu: MashaGPTEmulator, mode: Mode) -> None:
    emu.enqueue(
        Reply.function_call(
            BATCH, batch(("Memory", {"content": DARK}), ("Memory", {"content": PARIS}))
        )
    )

    memories = await mode.last(manager(emu), {"messages": CONVERSATION})

    assert contents(memories) == [Memory(content=DARK), Memory(content=PARIS)]
    body = emu.requests[0].body
    messages = [system(SUBROUTINE), user(session_prompt(body))]
    expect_requests(emu, False, Turn(messages, ["Memory", BATCH], "auto"))


async def test_an_existing_memory_is_updated(emu: MashaGPTEmulator, mode: Mode) -> None:
    patch = {"op": "replace", "path": "/content", "value": PARIS}
    update = {"json_doc_id": "m1", "planned_edits": "moved", "patches": [patch]}
    emu.enqueue(Reply.function_call("select_tool", json.dumps({"PatchDoc": update})))
    existing = [("m1", Memory(content="Lives in Berlin"))]

    memories = await mode.last(
        manager(emu, parallel=False), {"messages": CONVERSATION, "existing": existing}
    )

    assert memories == [ExtractedMemory(id="m1", content=Memory(content=PARIS))]
    body = emu.requests[0].body
    messages = [
        system(existing_prompt(body, ("m1", "Lives in Berlin"))),
        user(session_prompt(body)),
    ]
    expect_requests(emu, False, Turn(messages, ["select_tool"], {"name": "select_tool"}))
    offered = body["functions"][0]["parameters"]["properties"]
    assert sorted(offered) == ["Memory", "PatchDoc"]


async def test_a_second_step_sees_the_first_steps_calls(emu: MashaGPTEmulator, mode: Mode) -> None:
    emu.enqueue(
        Reply.function_call(
            BATCH, batch(("Memory", {"content": DARK}), ("Memory", {"content": PARIS}))
        ),
        Reply.function_call(BATCH, batch(("Done", {}))),
    )

    memories = await mode.last(manager(emu), {"messages": CONVERSATION, "max_steps": 2})

    assert contents(memories) == [Memory(content=DARK), Memory(content=PARIS)]
    dark, paris = (m.id for m in memories)
    first, second = (r.body for r in emu.requests)
    prompt = user(session_prompt(first, attempts=1))
    done = [
        call("Memory", content=DARK),
        {"role": "function", "name": "Memory", "content": f"Memory {dark} inserted."},
        call("Memory", content=PARIS),
        {"role": "function", "name": "Memory", "content": f"Memory {paris} inserted."},
    ]
    updating = existing_prompt(second, (dark, DARK), (paris, PARIS))
    expect_requests(
        emu,
        False,
        Turn([system(SUBROUTINE), prompt], ["Memory", BATCH], "auto"),
        Turn([system(updating), prompt, *done], [BATCH], {"name": BATCH}),
    )
    offered = second["functions"][0]["parameters"]["properties"]["tool_uses"]["items"]
    assert "Done" in json.dumps(offered)
