"""Package fixes that framework tests wait for, as strict xfail marks that lift themselves.

Each mark is an expected failure only while its fix is missing: a probe
converts one history the way the fix changes it (the pure converter, no
request). Once the fix lands, the probe sees it, the mark no longer applies
and the tests must pass; until then they must fail with an `AssertionError`
(strict), so a test that passes early, or fails another way, is reported.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, ToolMessage

from langchain_mashagpt._convert.request import messages_to_wire

_CALL = AIMessage("", name="Alice", tool_calls=[{"name": "t", "args": {}, "id": "1"}])
_RESULT = ToolMessage(
    [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], tool_call_id="1"
)
_WIRE = messages_to_wire([_CALL, _RESULT])

AUTHOR_ON_CALLS = _WIRE[0].get("name") == "Alice"
"""Issue 20 §3: an AI author's name goes out on its function-call message."""

TEXT_BLOCKS_BY_LINE = _WIRE[1]["content"] == "a\nb"
"""Issue 20 §3: a tool result's text blocks are joined with a newline."""
