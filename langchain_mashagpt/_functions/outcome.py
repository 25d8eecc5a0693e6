"""A decoded function call → the fields of an `AIMessage` or of stream chunks. Pure.

Invoke and stream give the same calls. `CallPlan.decode` reads a whole wire
call; `call_fields` turns its outcomes into `tool_calls`, `invalid_tool_calls`,
text and `additional_kwargs["function_call"]`, and `CallStream` does the same
for a stream:

- The raw call goes to `additional_kwargs["function_call"]` (`{"name",
  "arguments"}`, the user's name) for code of the `functions` era. In a stream
  its pieces go out live — the name once, whole, then each arguments piece — so
  that `merge_dicts` adds them up to the whole call.
- A plain call's arguments stream live as `tool_call_chunks`. langchain-core
  completes cut-off JSON when it adds chunks up (`parse_partial_json`), so a
  call cut off by `finish_reason: length` would sum to a *valid* call with
  truncated arguments. When the call ends, it is decoded whole, as `invoke`
  decodes it; if that says invalid, one more piece, `invalid_mark(raw)`, is
  sent: a closing bracket that cannot match (after closing an open string),
  which langchain-core's parser rejects, so the sum is an invalid call.
- An invalid call's `args` is `invalid_args(raw)`: the raw text, plus that mark
  when langchain-core would otherwise complete the text into arguments — in
  `invoke` too, so streamed and invoked calls are equal.
- Under `finish_reason` `length` or `content_filter` the call is invalid
  whatever its arguments (see `CUT_REASONS`), so it gets the mark too.
- Calls the plan `holds` (the dispatcher's, a `response_format` function's)
  are sent whole when they end.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.utils.json import parse_partial_json

from langchain_mashagpt._functions.plan import (
    CallPlan,
    InvalidCall,
    Outcome,
    TextContent,
    ValidCall,
)
from langchain_mashagpt._json import dumps, is_blank

__all__ = ["CallStream", "call_fields", "invalid_args", "new_call_id"]


def new_call_id() -> str:
    """A fresh tool-call id: the API has none."""
    return f"call_{uuid.uuid4().hex[:24]}"


def invalid_mark(raw: str) -> str:
    """What to append to `raw` so that langchain-core's partial parser rejects it.

    Follows `parse_partial_json`'s scan: close an open string (a dangling
    backslash first gets its quote), then add a closing bracket that does not
    match the innermost open one, which that parser refuses outright.
    """
    stack: list[str] = []
    in_string = escaped = False
    for char in raw:
        if in_string:
            if char == '"' and not escaped:
                in_string = False
            elif char == "\\":
                escaped = not escaped
            elif char != "\n" or escaped:
                escaped = False
        elif char == '"':
            in_string, escaped = True, False
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack and stack[-1] == char:
            stack.pop()
    mark = ('""' if escaped else '"') if in_string else ""
    return mark + ("}" if stack and stack[-1] == "]" else "]")


def invalid_args(raw: str) -> str:
    """`raw` as an invalid call's `args`: marked if langchain-core would complete it."""
    try:
        completed = parse_partial_json(raw) if raw else {}
    except Exception:
        return raw
    return raw + invalid_mark(raw) if isinstance(completed, dict) else raw


def _legacy(wire_name: str, raw: str, outcomes: list[Outcome], plan: CallPlan) -> dict[str, str]:
    """`additional_kwargs["function_call"]`: the call as received, under the user's name.

    A call unwrapped from the dispatcher shows as the call of the tool it names.
    """
    if len(outcomes) == 1 and isinstance(outcomes[0], ValidCall):
        return {"name": outcomes[0].name, "arguments": outcomes[0].arguments}
    if len(outcomes) == 1 and isinstance(outcomes[0], InvalidCall):
        return {"name": outcomes[0].name, "arguments": raw}
    return {"name": plan.user_name(wire_name), "arguments": raw}


def call_fields(
    plan: CallPlan, wire_name: str, raw: str, finish: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The text and the `AIMessage` fields of one whole wire call, its choice ended by `finish`.

    Returns `(text, fields)`: `text` is added to the message content (a
    `response_format` call); `fields` holds `tool_calls`, `invalid_tool_calls`
    and `additional_kwargs`.
    """
    outcomes = plan.decode(wire_name, raw, finish)
    text = "".join(o.text for o in outcomes if isinstance(o, TextContent))
    calls = [
        tool_call(name=o.name, args=o.args, id=new_call_id())
        for o in outcomes
        if isinstance(o, ValidCall)
    ]
    invalid = [
        invalid_tool_call(name=o.name, args=invalid_args(o.args), id=new_call_id(), error=o.error)
        for o in outcomes
        if isinstance(o, InvalidCall)
    ]
    fields: dict[str, Any] = {"tool_calls": calls, "invalid_tool_calls": invalid}
    if calls or invalid:
        fields["additional_kwargs"] = {"function_call": _legacy(wire_name, raw, outcomes, plan)}
    return text, fields


class CallStream:
    """Collects one stream's `delta.function_call` pieces; see the module docstring."""

    __slots__ = ("_args", "_id", "_name", "_plan", "_seen")

    def __init__(self, plan: CallPlan) -> None:
        """Prepare for the calls of a request whose answers `plan` reads."""
        self._plan = plan
        self._name = ""
        self._args = ""
        self._id: str | None = None  # set once the call streams live
        self._seen = False  # a `function_call` arrived, even an empty one

    def piece(self, call: dict[str, Any]) -> dict[str, Any]:
        """Chunk fields to send now for one `delta.function_call` piece (maybe none).

        The name is held until it is whole — at the first arguments piece —
        because LangChain's partial parsers look tools up by the first chunk's
        name; a call the plan `holds` is not shown until it ends.
        """
        name, args = call.get("name") or "", call.get("arguments") or ""
        self._seen = True
        self._args += args
        if self._id is not None:
            if not args:
                return {}
            return {
                "tool_call_chunks": [tool_call_chunk(name=None, args=args, id=None, index=0)],
                "additional_kwargs": {"function_call": {"arguments": args}},
            }
        self._name += name
        if not self._args or self._plan.holds(self._name):
            return {}
        self._id = new_call_id()
        user_name = self._plan.user_name(self._name)
        return {
            "tool_call_chunks": [
                tool_call_chunk(name=user_name, args=self._args, id=self._id, index=0)
            ],
            "additional_kwargs": {"function_call": {"name": user_name, "arguments": self._args}},
        }

    def finish(self, reason: str | None = None) -> tuple[str, dict[str, Any]]:
        """Text and chunk fields that end the call when the choice ends by `reason` (or none)."""
        if not self._seen:
            return "", {}
        name, raw, live = self._name, self._args, self._id is not None
        self._name = self._args = ""
        self._id = None
        self._seen = False
        if live:  # the pieces went out: only an invalid call needs its mark
            outcomes = self._plan.decode(name, raw, reason)
            valid = all(isinstance(o, ValidCall) for o in outcomes)
            # Blank arguments mean `{}`, which langchain-core's parser reads only as such.
            blank = "{}" if is_blank(raw) else ""
            mark = blank if valid else invalid_args(raw)[len(raw) :]
            return "", {"tool_call_chunks": [tool_call_chunk(args=mark, index=0)]} if mark else {}
        text, whole = call_fields(self._plan, name, raw, reason)
        chunks = [
            tool_call_chunk(name=c["name"], args=dumps(c["args"]).decode(), id=c["id"], index=k)
            for k, c in enumerate(whole["tool_calls"])
        ]
        chunks += [
            tool_call_chunk(name=c["name"], args=c["args"], id=c["id"], index=len(chunks) + k)
            for k, c in enumerate(whole["invalid_tool_calls"])
        ]
        fields: dict[str, Any] = {"tool_call_chunks": chunks} if chunks else {}
        if "additional_kwargs" in whole:
            fields["additional_kwargs"] = whole["additional_kwargs"]
        return text, fields
