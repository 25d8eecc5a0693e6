"""Wire function call → what the user sees. Pure; no I/O.

The API answers with at most one `function_call` `{name, arguments}`. What it
means depends on what the request offered, so the builder of the request's
functions (`_functions.build`) returns a `CallPlan` beside them, and
`CallPlan.decode` turns one whole wire call into a list of outcomes, read the
same way by `chat_result` (invoke) and by `StreamConverter` (stream):

- `ValidCall(name, args, arguments)`: a call of one of the user's tools;
- `InvalidCall(name, args, error)`: a call that cannot be run (not JSON, not an
  object, an unknown tool…), shown as an `invalid_tool_call`;
- `TextContent(text)`: a call that is really the answer's text.

A call of an answer cut by `max_tokens` or the content filter (`CUT_REASONS`)
is never valid, even when its arguments happen to parse (`""` reads as `{}`).

Adding a wire function with a meaning of its own (the `select_tool` dispatcher and
the `_functions.batch` batch function are two) takes a field of `schemas.Offer`
filled where it is built, a field here filled from it by `build_functions`, a
branch in `CallPlan.decode`, and a name in `CallPlan.holds` if its calls must
not stream live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from langchain_mashagpt._functions.batch import batch_tools, decode_batch, is_batch
from langchain_mashagpt._functions.schemas import DISPATCHER_NAME
from langchain_mashagpt._json import dumps, is_blank, loads_exact

__all__ = [
    "CUT_REASONS",
    "CallPlan",
    "InvalidCall",
    "Outcome",
    "TextContent",
    "ValidCall",
    "cut_error",
]


class ValidCall(NamedTuple):
    """A call of the user's tool `name` with the JSON object `args`.

    `arguments` is the JSON text of `args` as the API sent it (for a call
    unwrapped from a wrapper function, the text of this call's part).
    """

    name: str
    args: dict[str, Any]
    arguments: str


class InvalidCall(NamedTuple):
    """A call that cannot run: `args` is the raw arguments text, `error` says why."""

    name: str
    args: str
    error: str


class TextContent(NamedTuple):
    """A call whose arguments are the answer's text (a `response_format` function)."""

    text: str


Outcome = ValidCall | InvalidCall | TextContent
"""What one wire call becomes; `CallPlan.decode` returns a list of them."""

CUT_REASONS = {
    "length": "cut by max_tokens (finish_reason length)",
    "content_filter": "stopped by the content filter (finish_reason content_filter)",
}
"""The `finish_reason`s of an answer the model did not finish, and what they mean."""


def cut_error(finish: str) -> str:
    """Why a call of an answer that ended by `finish` (one of `CUT_REASONS`) is invalid."""
    what = CUT_REASONS[finish]
    hint = (
        "raise max_tokens or ask for less"
        if finish == "length"
        else "rephrase the request; the filter stopped the answer"
    )
    return f"the answer was {what} before this call was finished: {hint}"


@dataclass(frozen=True)
class CallPlan:
    """How to read the model's function call back, built from the request.

    Attributes:
        user_names: Wire function name → the user's own name, for names that
            had to be changed to go on the wire; other names map to themselves.
        dispatcher: Wire names of the tools the `select_tool` dispatcher chooses
            among; empty when the request carried no dispatcher.
        text_function: Wire name of the function whose call is the answer's text
            (`response_format`), or `None`.
        batch: Wire names of the tools the batch function `multi_tool_use_parallel`
            can call (`parallel_tool_calls=True`); empty when the request carried
            no batch function.
    """

    user_names: Mapping[str, str] = field(default_factory=dict)
    dispatcher: frozenset[str] = frozenset()
    text_function: str | None = None
    batch: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        payload: Mapping[str, Any],
        user_names: Mapping[str, str] | None = None,
        text_function: str | None = None,
    ) -> CallPlan:
        """The plan read back from a body as sent (`payload`'s `functions`), such as a recorded one.

        A request's own plan comes from `build_functions`, which knows what it
        built; this reads the dispatcher and the batch function by their names.
        """
        dispatcher: frozenset[str] = frozenset()
        for function in payload.get("functions") or ():
            if function.get("name") == DISPATCHER_NAME:
                dispatcher = frozenset(function["parameters"].get("properties", ()))
        return cls(dict(user_names or {}), dispatcher, text_function, batch_tools(payload))

    def user_name(self, wire_name: str) -> str:
        """The user's name for the wire function `wire_name`."""
        return self.user_names.get(wire_name, wire_name)

    def holds(self, wire_name: str) -> bool:
        """Whether a call of `wire_name` must be held back until it is whole.

        A plain call's arguments stream live; a call that decodes into something
        else (another tool's call, text) can only be read once it is whole.
        """
        return (
            wire_name == self.text_function
            or (bool(self.dispatcher) and wire_name not in self.dispatcher)
            or (bool(self.batch) and is_batch(wire_name))
        )

    def decode(self, name: str, raw: str, finish: str | None = None) -> list[Outcome]:
        """The outcomes of one whole wire call `name(raw)`, whose choice ended by `finish`.

        Under `finish_reason` `length` or `content_filter` the call was not
        finished: every call it holds is invalid, whatever its arguments.
        """
        outcomes = self._decode(name, raw)
        if finish not in CUT_REASONS:
            return outcomes
        error = cut_error(finish)
        return [
            InvalidCall(o.name, o.arguments, error)
            if isinstance(o, ValidCall)
            else InvalidCall(o.name, o.args, f"{error} ({o.error})")
            if isinstance(o, InvalidCall)
            else o
            for o in outcomes
        ]

    def _decode(self, name: str, raw: str) -> list[Outcome]:
        if not name:
            return [InvalidCall(name, raw, "the function call has no name")]
        if name == self.text_function:
            return [TextContent(raw)]
        if self.batch and is_batch(name):
            return self._batched(raw)
        try:
            args = {} if is_blank(raw) else loads_exact(raw)
        except ValueError as exc:
            return [InvalidCall(self.user_name(name), raw, f"arguments are not JSON: {exc}")]
        if not isinstance(args, dict):
            return [
                InvalidCall(
                    self.user_name(name), raw, "the function's arguments are not a JSON object"
                )
            ]
        if self.dispatcher and name not in self.dispatcher:
            return [self._dispatched(name, raw, args)]
        return [ValidCall(self.user_name(name), args, raw)]

    def _batched(self, raw: str) -> list[Outcome]:
        """A call of the batch function: one outcome per item, in order."""
        outcomes: list[Outcome] = []
        for tool, args, error in decode_batch(raw, self.batch):
            if error is None:
                outcomes.append(ValidCall(self.user_name(tool), args, dumps(args).decode()))
            else:
                outcomes.append(InvalidCall(self.user_name(tool), args, error))
        return outcomes

    def _dispatched(self, name: str, raw: str, args: dict[str, Any]) -> Outcome:
        """A call made under the dispatcher: unwrapped when it names exactly one tool."""
        tools = sorted(self.user_name(tool) for tool in self.dispatcher)
        if name != DISPATCHER_NAME:
            return InvalidCall(
                self.user_name(name), raw, f"{name!r} is none of the offered tools {tools}"
            )
        if len(args) != 1 or next(iter(args)) not in self.dispatcher:
            error = f"{DISPATCHER_NAME} must name exactly one of {tools}, got {sorted(args)}"
            return InvalidCall(name, raw, error)
        ((tool, tool_args),) = args.items()
        if not isinstance(tool_args, dict):
            error = f"the arguments for {self.user_name(tool)!r} are not a JSON object"
            return InvalidCall(self.user_name(tool), raw, error)
        return ValidCall(self.user_name(tool), tool_args, dumps(tool_args).decode())
