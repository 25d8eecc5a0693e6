"""`CallPlan.decode`: one wire call → the outcomes users see, for invoke and stream alike."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_mashagpt._functions.plan import CallPlan, InvalidCall, TextContent, ValidCall
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME

DISPATCHING = CallPlan.of(
    {"functions": [{"name": DISPATCHER_NAME, "parameters": {"properties": {"a": {}, "b_1": {}}}}]},
    user_names={"b_1": "b.1"},
)


@pytest.mark.parametrize(
    ("plan", "name", "raw", "expected"),
    [
        (CallPlan(), "f", '{"x": 1}', [ValidCall("f", {"x": 1}, '{"x": 1}')]),
        (CallPlan(), "f", "", [ValidCall("f", {}, "")]),
        (CallPlan(), "", "{}", [InvalidCall("", "{}", "the function call has no name")]),
        (
            CallPlan(),
            "f",
            "[1]",
            [InvalidCall("f", "[1]", "the function's arguments are not a JSON object")],
        ),
        (CallPlan(user_names={"w_1": "w.1"}), "w_1", "{}", [ValidCall("w.1", {}, "{}")]),
        (CallPlan(text_function="Answer"), "Answer", '{"a": ', [TextContent('{"a": ')]),
        (
            DISPATCHING,
            DISPATCHER_NAME,
            '{"b_1": {"k": 2}}',
            [ValidCall("b.1", {"k": 2}, '{"k":2}')],
        ),
        (DISPATCHING, "b_1", '{"k": 2}', [ValidCall("b.1", {"k": 2}, '{"k": 2}')]),
    ],
)
def test_decode(plan: CallPlan, name: str, raw: str, expected: list[Any]) -> None:
    assert plan.decode(name, raw) == expected


def test_not_json_is_invalid_under_the_users_name() -> None:
    (outcome,) = CallPlan(user_names={"w_1": "w.1"}).decode("w_1", '{"a": ')
    assert isinstance(outcome, InvalidCall)
    assert (outcome.name, outcome.args) == ("w.1", '{"a": ')
    assert outcome.error.startswith("arguments are not JSON")


@pytest.mark.parametrize(
    ("plan", "name", "held"),
    [
        (CallPlan(), "f", False),
        (CallPlan(text_function="Answer"), "Answer", True),
        (CallPlan(text_function="Answer"), "f", False),
        (DISPATCHING, DISPATCHER_NAME, True),
        (DISPATCHING, "a", False),
    ],
)
def test_holds(plan: CallPlan, name: str, held: bool) -> None:
    assert plan.holds(name) is held
