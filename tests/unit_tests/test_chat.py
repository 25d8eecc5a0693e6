"""Invoke, batch and generate: the request that goes out and the answer that comes back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core.load import dumpd, dumps
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.prompts import ChatPromptTemplate

from langchain_mashagpt import ChatMashaGPT
from tests.helpers import API_KEY, MockServer, Runner, completion


async def test_messages_go_out_with_the_apis_roles(run: Runner, server: MockServer) -> None:
    server.json(completion("Париж."))
    history = [
        SystemMessage("Отвечай кратко."),
        HumanMessage("Столица Франции?", name="ivan_1"),
        AIMessage("Париж."),
        ChatMessage(role="user", content="А Германии?"),
        FunctionMessage(name="lookup", content='{"capital": "Берлин"}'),
    ]
    await run.invoke(server.model(), history)
    assert server.body["messages"] == [
        {"role": "system", "content": "Отвечай кратко."},
        {"role": "user", "content": "Столица Франции?", "name": "ivan_1"},
        {"role": "assistant", "content": "Париж."},
        {"role": "user", "content": "А Германии?"},
        {"role": "function", "name": "lookup", "content": '{"capital": "Берлин"}'},
    ]
    raw = server.requests[0].content
    assert "Столица Франции".encode() in raw  # real UTF-8, not \\u escapes
    assert server.requests[0].headers["content-type"] == "application/json"


async def test_answer_metadata_and_usage(run: Runner, server: MockServer) -> None:
    server.json(completion("Hi there"))
    message = await run.invoke(server.model(), "hi")
    assert isinstance(message, AIMessage)
    assert message.content == "Hi there"
    assert message.id == "chatcmpl-test"
    assert message.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert message.response_metadata == {
        "model_name": "gpt-4o-mini",
        "model_provider": "mashagpt",
        "finish_reason": "stop",
        "index": 0,
        "id": "chatcmpl-test",
        "created": 1_700_000_000,
        "token_usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_energy": 20,
            "completion_energy": 30,
            "total_energy": 50,
        },
    }


async def test_unknown_fields_and_finish_reasons_are_tolerated(
    run: Runner, server: MockServer
) -> None:
    body = completion("ok", finish_reason="something_new")
    body["system_fingerprint"] = "fp"
    body["choices"][0]["logprobs"] = None
    del body["usage"]
    server.json(body)
    message = await run.invoke(server.model(), "hi")
    assert message.response_metadata["finish_reason"] == "something_new"
    assert message.usage_metadata is None
    assert message.content == "ok"


async def test_empty_choices_is_a_clear_error(run: Runner, server: MockServer) -> None:
    body = completion()
    body["choices"] = []
    server.json(body)
    with pytest.raises(Exception, match="empty `choices`"):
        await run.invoke(server.model(), "hi")


async def test_n_gives_n_generations_and_usage_counted_once(
    run: Runner, server: MockServer
) -> None:
    server.json(completion("same", choices=3))
    result = await run.generate(server.model(n=3, streaming=True), [[HumanMessage("hi")]])
    assert server.body["n"] == 3
    assert "stream" not in server.body  # several choices never stream
    generations = result.generations[0]
    assert [g.text for g in generations] == ["same"] * 3
    assert generations[0].message.usage_metadata["total_tokens"] == 15  # type: ignore[attr-defined]
    assert [g.message.usage_metadata for g in generations[1:]] == [None, None]  # type: ignore[attr-defined]


async def test_generate_sums_usage_and_energy(run: Runner, server: MockServer) -> None:
    server.json(completion())
    result = await run.generate(server.model(), [[HumanMessage("a")], [HumanMessage("b")]])
    assert result.llm_output == {
        "token_usage": {
            "prompt_tokens": 20,
            "completion_tokens": 10,
            "total_tokens": 30,
            "prompt_energy": 40,
            "completion_energy": 60,
            "total_energy": 100,
        },
        "model_name": "gpt-4o-mini",
    }


async def test_batch(run: Runner, server: MockServer) -> None:
    server.json(completion("x"))
    answers = await run.batch(server.model(), ["a", "b", "c"])
    assert [a.content for a in answers] == ["x"] * 3
    assert sorted(b["messages"][0]["content"] for b in server.bodies) == ["a", "b", "c"]


PARAMS: dict[str, Any] = {
    "temperature": 0.2,
    "max_tokens": 50,
    "top_p": 0.9,
    "n": 1,
    "stop": ["END"],
    "presence_penalty": 0.5,
    "frequency_penalty": -0.5,
    "logit_bias": {"50256": -100},
    "user": "user-42",
}


async def test_every_parameter_as_a_field(run: Runner, server: MockServer) -> None:
    server.json(completion())
    await run.invoke(server.model(model="claude-3-opus", model_kwargs={"seed": 7}, **PARAMS), "hi")
    assert server.body == {
        "model": "claude-3-opus",
        "messages": [{"role": "user", "content": "hi"}],
        "seed": 7,
        **PARAMS,
    }


async def test_every_parameter_per_call_and_by_bind(run: Runner, server: MockServer) -> None:
    server.json(completion())
    model = server.model(temperature=1.5)
    await run.invoke(model, "hi", **PARAMS, model="gpt-4o")
    await run.invoke(model.bind(**PARAMS, model="gpt-4o"), "hi")
    for body in server.bodies:
        assert body == {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "hi"}],
            **PARAMS,
        }


async def test_stop_as_invoke_argument(run: Runner, server: MockServer) -> None:
    server.json(completion())
    await run.invoke(server.model(stop=["a"]), "hi", stop=["x", "y"])
    assert server.body["stop"] == ["x", "y"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": 2.5}, "temperature must be a number from 0 to 2"),
        ({"temperature": True}, "temperature"),
        ({"top_p": -0.1}, "top_p"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"frequency_penalty": "1"}, "frequency_penalty"),
        ({"n": 0}, "n must be a whole number"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "at most 4"),
        ({"stop": [1]}, "stop"),
        ({"logit_bias": {"1": 101}}, "logit_bias"),
        ({"tool_choice": "any"}, "no tools are bound"),
        ({"response_format": {"type": "xml"}}, "is not understood"),
    ],
)
async def test_bad_parameters_fail_before_sending(
    run: Runner, server: MockServer, kwargs: dict[str, Any], match: str
) -> None:
    model = server.model()
    with pytest.raises(ValueError, match=match):
        await run.invoke(model, "hi", **kwargs)
    with pytest.raises(ValueError, match=match):
        await run.stream(model, "hi", **kwargs)
    assert server.requests == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"temperature": 3}, "temperature"), ({"stop": ["a", "b", "c", "d", "e"]}, "at most 4")],
)
def test_bad_fields_fail_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ChatMashaGPT(api_key="k", **kwargs)


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (HumanMessage([{"type": "image_url", "image_url": {"url": "http://x"}}]), "'image_url'"),
        (
            HumanMessage([{"type": "image", "base64": "AAAA", "mime_type": "image/png"}]),
            "text only",
        ),
        (HumanMessage([{"type": "file", "file_id": "f"}]), "'file'"),
        (HumanMessage([{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}]), "'audio'"),
        (ChatMessage(role="tool", content="x"), "ChatMessage role 'tool'"),
        (ChatMessage(role="function", content="x"), "has no `name`"),
    ],
)
async def test_messages_the_api_cannot_take_fail_before_sending(
    run: Runner, server: MockServer, message: Any, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await run.invoke(server.model(), [message])
    assert server.requests == []


async def test_no_messages_fails_before_sending(run: Runner, server: MockServer) -> None:
    with pytest.raises(ValueError, match="at least one message"):
        await run.invoke(server.model(), [])
    assert server.requests == []


async def test_text_blocks_are_joined(run: Runner, server: MockServer) -> None:
    server.json(completion())
    blocks = ["Привет, ", {"type": "text", "text": "мир"}, {"type": "text", "text": "!", "id": "b"}]
    await run.invoke(server.model(), [HumanMessage(blocks)])
    assert server.body["messages"] == [{"role": "user", "content": "Привет, мир!"}]


async def test_missing_key_is_a_clear_error_at_request_time(
    run: Runner, monkeypatch: pytest.MonkeyPatch, server: MockServer
) -> None:
    monkeypatch.delenv("MASHAGPT_API_KEY", raising=False)
    model = server.model(api_key=None)  # constructing is fine
    with pytest.raises(ValueError, match="MASHAGPT_API_KEY"):
        await run.invoke(model, "hi")
    assert server.requests == []


async def test_environment_and_headers(
    run: Runner, monkeypatch: pytest.MonkeyPatch, server: MockServer
) -> None:
    monkeypatch.setenv("MASHAGPT_API_KEY", "sk-from-env")
    monkeypatch.setenv("MASHAGPT_BASE_URL", "http://gateway.local/v1/")
    server.json(completion())
    await run.invoke(ChatMashaGPT(**server.clients(), default_headers={"X-Team": "ml"}), "hi")
    request = server.requests[0]
    assert str(request.url) == "http://gateway.local/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-from-env"
    assert request.headers["x-team"] == "ml"
    assert request.headers["user-agent"].startswith("langchain-mashagpt/")


def test_key_stays_secret_in_repr_and_serialisation() -> None:
    model = ChatMashaGPT(api_key=API_KEY, temperature=0.1)
    assert API_KEY not in repr(model)
    assert API_KEY not in str(model)
    assert API_KEY not in dumps(model)
    assert dumpd(model)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["MASHAGPT_API_KEY"],
    }


def test_langsmith_params_honour_per_call_values() -> None:
    model = ChatMashaGPT(api_key="k", model="gpt-4o-mini", temperature=0.3, max_tokens=9)
    assert model._get_ls_params(stop=["x"]) == {
        "ls_provider": "mashagpt",
        "ls_model_name": "gpt-4o-mini",
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 9,
        "ls_stop": ["x"],
    }
    assert (
        model._get_ls_params(model="claude-3-opus", stop=None)["ls_model_name"] == "claude-3-opus"
    )
    assert model._llm_type == "mashagpt-chat"
    assert model._identifying_params["model"] == "gpt-4o-mini"


async def test_in_an_lcel_chain_with_fallbacks_and_retry(run: Runner, server: MockServer) -> None:
    server.json(completion("42"))
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    broken = MockServer().reply(httpx.ConnectError("refused")).model(max_retries=0)
    chain = prompt | broken.with_fallbacks([server.model()]).with_retry(stop_after_attempt=2)
    answer = await run.invoke(chain, {"q": "What is 6*7?"})
    assert answer.content == "42"
    assert server.body["messages"][1] == {"role": "user", "content": "What is 6*7?"}


async def test_rate_limiter_is_honoured(run: Runner, server: MockServer) -> None:
    from langchain_core.rate_limiters import InMemoryRateLimiter

    limiter = InMemoryRateLimiter(requests_per_second=1000, check_every_n_seconds=0.001)
    server.json(completion())
    await run.invoke(server.model(rate_limiter=limiter), "hi")
    assert len(server.requests) == 1
