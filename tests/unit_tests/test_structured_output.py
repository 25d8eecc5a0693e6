"""`with_structured_output`: a forced function for schemas, JSON text for json_mode."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, Field, ValidationError
from typing_extensions import TypedDict

from tests.helpers import MockServer, Runner, completion


class Joke(BaseModel):
    """A joke to tell the user."""

    setup: str = Field(description="The question")
    punchline: str


class JokeDict(TypedDict):
    """A joke to tell the user."""

    setup: str
    punchline: str


JOKE_SCHEMA = {
    "title": "JokeSchema",
    "description": "A joke to tell the user.",
    "type": "object",
    "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
    "required": ["setup", "punchline"],
}
SCHEMAS = {"pydantic": Joke, "typeddict": JokeDict, "json_schema": JOKE_SCHEMA}
NAMES = {"pydantic": "Joke", "typeddict": "JokeDict", "json_schema": "JokeSchema"}
JOKE = {"setup": "Почему кот?", "punchline": "Потому что."}
ARGUMENTS = '{"setup": "Почему кот?", "punchline": "Потому что."}'


def expected(kind: str) -> Any:
    return Joke(**JOKE) if kind == "pydantic" else JOKE


def called(name: str, arguments: str = ARGUMENTS) -> dict[str, Any]:
    call = {"name": name, "arguments": arguments}
    return completion(None, function_call=call, finish_reason="function_call")


@pytest.mark.parametrize("strict", [None, False, True])
@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
@pytest.mark.parametrize("kind", SCHEMAS)
async def test_schema_is_a_forced_function(
    server: MockServer, run: Runner, kind: str, method: str, strict: bool | None
) -> None:
    name = NAMES[kind]
    server.json(called(name))
    structured = server.model().with_structured_output(SCHEMAS[kind], method=method, strict=strict)  # type: ignore[arg-type]
    assert await run.invoke(structured, "Tell me a joke") == expected(kind)
    body = server.body
    assert body["function_call"] == {"name": name}
    (function,) = body["functions"]
    assert function["name"] == name
    assert function["description"] == "A joke to tell the user."
    assert set(function["parameters"]["properties"]) == {"setup", "punchline"}
    assert "tools" not in body
    assert "response_format" not in body


async def test_default_method_is_function_calling(server: MockServer, run: Runner) -> None:
    server.json(called("Joke"))
    assert await run.invoke(server.model().with_structured_output(Joke), "joke") == Joke(**JOKE)
    assert server.body["function_call"] == {"name": "Joke"}


@pytest.mark.parametrize("kind", [*SCHEMAS, "none"])
async def test_json_mode_parses_the_text_answer(server: MockServer, run: Runner, kind: str) -> None:
    server.json(completion(f"```json\n{ARGUMENTS}\n```"))
    schema: Any = SCHEMAS.get(kind)
    structured = server.model().with_structured_output(schema, method="json_mode")
    assert await run.invoke(structured, "A joke as JSON, please") == expected(kind)
    assert "functions" not in server.body
    assert "function_call" not in server.body
    assert "response_format" not in server.body


async def test_streamed_structured_output_ends_with_the_whole_object(
    server: MockServer, run: Runner
) -> None:
    pieces = ['{"setup": "Почему', ' кот?", "punchline"', ': "Потому что."}']
    events = [{"function_call": {"name": "JokeDict", "arguments": ""}}] + [
        {"function_call": {"arguments": p}} for p in pieces
    ]
    body = "".join(
        f"data: {json.dumps({'id': 'x', 'choices': [{'index': 0, 'delta': d}]})}\n\n"
        for d in events
    )
    server.sse(body + "data: [DONE]\n\n")
    parts = await run.stream(server.model().with_structured_output(JokeDict), "joke")
    assert parts[-1] == JOKE
    assert len(parts) > 1  # parsed partially while the arguments arrived


@pytest.mark.parametrize("schema", [Joke, JokeDict])
async def test_streamed_structured_output_with_the_name_in_pieces(
    server: MockServer, run: Runner, schema: Any
) -> None:
    """Partial parsers look the tool up by name: it must never arrive cut."""
    name = schema.__name__
    events = [
        {"function_call": {"name": name[:2], "arguments": ""}},
        {"function_call": {"name": name[2:]}},
        {"function_call": {"arguments": '{"setup": "Почему кот?", '}},
        {"function_call": {"arguments": '"punchline": "Потому что."}'}},
    ]
    body = "".join(
        f"data: {json.dumps({'id': 'x', 'choices': [{'index': 0, 'delta': d}]})}\n\n"
        for d in events
    )
    server.sse(body + "data: [DONE]\n\n")
    parts = await run.stream(server.model().with_structured_output(schema), "joke")
    assert parts[-1] == expected("pydantic" if schema is Joke else "typeddict")


# ---------------------------------------------------------------- include_raw


async def test_include_raw_returns_raw_parsed_and_no_error(server: MockServer, run: Runner) -> None:
    server.json(called("Joke"))
    out = await run.invoke(server.model().with_structured_output(Joke, include_raw=True), "joke")
    assert set(out) == {"raw", "parsed", "parsing_error"}
    assert isinstance(out["raw"], AIMessage)
    assert out["raw"].tool_calls[0]["name"] == "Joke"
    assert out["parsed"] == Joke(**JOKE)
    assert out["parsing_error"] is None


@pytest.mark.parametrize(
    ("method", "reply", "error"),
    [
        ("function_calling", called("Joke", '{"setup": "only"}'), ValidationError),
        ("json_schema", called("Joke", '{"setup": 1, "punchline": []}'), ValidationError),
        ("json_mode", completion("Sorry, no JSON today."), OutputParserException),
    ],
)
async def test_include_raw_reports_a_parsing_failure(
    server: MockServer, run: Runner, method: str, reply: dict[str, Any], error: type
) -> None:
    server.json(reply)
    structured = server.model().with_structured_output(Joke, method=method, include_raw=True)  # type: ignore[arg-type]
    out = await run.invoke(structured, "joke")
    assert isinstance(out["raw"], AIMessage)
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], error)


async def test_without_include_raw_a_parsing_failure_raises(
    server: MockServer, run: Runner
) -> None:
    server.json(called("Joke", '{"setup": "only"}'))
    with pytest.raises(ValidationError):
        await run.invoke(server.model().with_structured_output(Joke), "joke")


async def test_invalid_arguments_json_is_a_parsing_error(server: MockServer, run: Runner) -> None:
    server.json(called("JokeDict", '{"setup": '))
    structured = server.model().with_structured_output(JokeDict, include_raw=True)
    out = await run.invoke(structured, "joke")
    assert out["raw"].invalid_tool_calls[0]["args"] == '{"setup": ]'
    assert out["raw"].additional_kwargs["function_call"]["arguments"] == '{"setup": '
    assert out["parsed"] is None  # no valid call to parse, as LangChain's parsers do
    assert out["parsing_error"] is None


# ---------------------------------------------------------------- tracing


class StartRecorder(BaseCallbackHandler):
    """Keeps what each chat-model run was started with."""

    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        self.starts.append(kwargs)


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@pytest.mark.parametrize("streamed", [False, True])
async def test_structured_output_format_reaches_tracing(
    server: MockServer, run: Runner, method: str, streamed: bool
) -> None:
    reply = completion(ARGUMENTS) if method == "json_mode" else called("Joke")
    server.json(reply) if not streamed else server.sse(_sse_of(reply))
    recorder = StartRecorder()
    structured = server.model().with_structured_output(Joke, method=method, strict=True)  # type: ignore[arg-type]
    config = {"callbacks": [recorder]}
    if streamed:
        assert (await run.stream(structured, "joke", config=config))[-1] == Joke(**JOKE)
    else:
        assert await run.invoke(structured, "joke", config=config) == Joke(**JOKE)
    (start,) = recorder.starts
    traced = start["options"]["ls_structured_output_format"]
    assert traced["kwargs"] == {"method": method, "strict": True}
    assert traced["schema"]["title"] == "Joke"
    assert set(traced["schema"]["properties"]) == {"setup", "punchline"}
    assert "ls_structured_output_format" not in server.body
    assert "ls_structured_output_format" not in start["invocation_params"]


def _sse_of(reply: dict[str, Any]) -> str:
    """A stream carrying `reply`'s message in one chunk."""
    message = reply["choices"][0]["message"]
    delta = {k: v for k, v in message.items() if v is not None}
    chunk = {"id": "x", "choices": [{"index": 0, "delta": delta, "finish_reason": "stop"}]}
    return f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"


def test_unknown_arguments_and_methods_are_refused(server: MockServer) -> None:
    model = server.model()
    with pytest.raises(ValueError, match="unsupported arguments"):
        model.with_structured_output(Joke, tools=[])
    with pytest.raises(ValueError, match="is not one of"):
        model.with_structured_output(Joke, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a schema"):
        model.with_structured_output(None)
