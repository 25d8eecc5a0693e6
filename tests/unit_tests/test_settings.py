"""Constructor arguments: aliases, unknown keywords, impossible settings, changes after use."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import ConfigurableField
from pydantic import SecretStr, ValidationError

from langchain_mashagpt import ChatMashaGPT, DeadlineExceededError, __version__
from tests.helpers import API_KEY, MockServer, Runner, completion


def test_unknown_keyword_warns_and_goes_to_model_kwargs() -> None:
    with pytest.warns(UserWarning, match=r"no argument 'seed'; it is sent in the request body"):
        model = ChatMashaGPT(api_key="k", seed=7, model_kwargs={"top_k": 3})
    assert model.model_kwargs == {"top_k": 3, "seed": 7}


async def test_unknown_keyword_is_sent_in_the_body(server: MockServer, run: Runner) -> None:
    server.json(completion())
    with pytest.warns(UserWarning, match="'top_k'"):
        model = server.model(top_k=40)
    await run.invoke(model, "hi")
    assert server.body["top_k"] == 40


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ("temprature", "temperature"),
        ("max_token", "max_tokens"),
        ("timout", "timeout"),
        ("base_uri", "base_url"),
        ("stream", "streaming"),
        ("request_timout", "request_timeout"),
    ],
)
def test_a_close_misspelling_is_an_error_naming_the_field(given: str, field: str) -> None:
    with pytest.raises(ValidationError, match=f"no argument '{given}': did you mean '{field}'"):
        ChatMashaGPT(api_key="k", **{given: 1})


def test_a_field_inside_model_kwargs_is_used_as_the_field() -> None:
    with pytest.warns(UserWarning, match="temperature is an argument of ChatMashaGPT"):
        model = ChatMashaGPT(api_key="k", model_kwargs={"temperature": 0.5})
    assert model.temperature == 0.5
    assert model.model_kwargs == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": 0.1, "model_kwargs": {"temperature": 0.2}},
        {"seed": 1, "model_kwargs": {"seed": 2}},
        {"timeout": 5, "request_timeout": 6},
        {"max_tokens": 5, "max_completion_tokens": 6},
    ],
)
def test_a_value_given_twice_is_an_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="given twice"):
        ChatMashaGPT(api_key="k", **kwargs)


def test_openai_api_key_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValidationError, match="MashaGPT needs its own: pass api_key="):
        ChatMashaGPT(openai_api_key="sk-openai")


@pytest.mark.parametrize(
    ("alias", "value", "field", "expected"),
    [
        ("request_timeout", 7.5, "timeout", 7.5),
        ("max_completion_tokens", 99, "max_tokens", 99),
        ("api_base", "https://gw.example/v1", "base_url", "https://gw.example/v1"),
        ("openai_api_base", "https://gw.example/v1/", "base_url", "https://gw.example/v1"),
        ("model_name", "claude-3-opus", "model", "claude-3-opus"),
    ],
)
def test_aliases_set_their_field(alias: str, value: Any, field: str, expected: Any) -> None:
    model = ChatMashaGPT(api_key="k", **{alias: value})
    assert getattr(model, field) == expected


async def test_aliases_reach_the_request(server: MockServer, run: Runner) -> None:
    server.json(completion())
    await run.invoke(server.model(max_completion_tokens=12, request_timeout=3), "hi")
    assert server.body["max_tokens"] == 12
    assert "max_completion_tokens" not in server.body


async def test_extra_body_is_merged_into_the_body(server: MockServer, run: Runner) -> None:
    server.json(completion())
    model = server.model(extra_body={"top_k": 5, "safe": True})
    await run.invoke(model, "hi", extra_body={"top_k": 6})
    body = server.body
    assert (body["top_k"], body["safe"]) == (6, True)
    assert "extra_body" not in body


async def test_extra_body_per_call_must_be_a_mapping(server: MockServer, run: Runner) -> None:
    with pytest.raises(ValueError, match="extra_body must be a mapping"):
        await run.invoke(server.model(), "hi", extra_body=["x"])
    assert server.requests == []


def test_extra_body_is_checked_like_the_fields() -> None:
    with pytest.raises(ValidationError, match="temperature must be a number from 0 to 2"):
        ChatMashaGPT(api_key="k", extra_body={"temperature": 5})


async def test_default_query_goes_in_the_url(server: MockServer, run: Runner) -> None:
    server.json(completion())
    model = server.model(base_url="https://gw.example/v1", default_query={"api-version": "2"})
    await run.invoke(model, "hi")
    assert str(server.requests[0].url) == "https://gw.example/v1/chat/completions?api-version=2"


@pytest.mark.parametrize("timeout", [0, -1, 0.0, math.nan])
def test_a_timeout_that_cannot_work_is_refused(timeout: float) -> None:
    with pytest.raises(ValidationError, match="timeout must be a number of seconds above 0"):
        ChatMashaGPT(api_key="k", timeout=timeout)


@pytest.mark.parametrize("seconds", [-1, -0.01, math.nan, math.inf, -math.inf])
def test_a_retry_backoff_that_cannot_work_is_refused(seconds: float) -> None:
    with pytest.raises(
        ValidationError,
        match=r"retry_backoff must be a finite number of seconds, 0 or more; got .*"
        r"Pass e\.g\. 0\.5 \(the default\), or 0 to retry at once\.",
    ):
        ChatMashaGPT(api_key="k", retry_backoff=seconds)


def test_retry_backoff_defaults_to_half_a_second_and_takes_zero() -> None:
    assert ChatMashaGPT(api_key="k").retry_backoff == 0.5
    assert ChatMashaGPT(api_key="k", retry_backoff=0).retry_backoff == 0


def test_no_timeout_is_allowed() -> None:
    assert ChatMashaGPT(api_key="k", timeout=None).timeout is None


@pytest.mark.parametrize("url", ["api.mashagpt.ru/v1", "ftp://api.mashagpt.ru", "https://", ""])
def test_a_base_url_without_scheme_or_host_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="is not an http\\(s\\) URL with a host"):
        ChatMashaGPT(api_key="k", base_url=url)


def test_a_base_url_from_the_environment_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASHAGPT_BASE_URL", "localhost:8000/v1")
    with pytest.raises(ValidationError, match="'localhost:8000/v1' is not an http"):
        ChatMashaGPT(api_key="k")


async def test_a_base_url_ending_in_the_endpoint_is_corrected(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    with pytest.warns(UserWarning, match="ends with /chat/completions, which ChatMashaGPT"):
        model = server.model(base_url="https://gw.example/v1/chat/completions/")
    assert model.base_url == "https://gw.example/v1"
    await run.invoke(model, "hi")
    assert str(server.requests[0].url) == "https://gw.example/v1/chat/completions"


def authorization(server: MockServer, index: int) -> str:
    return server.requests[index].headers["Authorization"]


@pytest.mark.parametrize("how", ["assignment", "model_copy"])
async def test_client_settings_changed_after_use_take_effect(
    server: MockServer, run: Runner, how: str
) -> None:
    server.json(completion())
    model = server.model(base_url="https://one.example/v1")
    await run.invoke(model, "hi")
    changes: dict[str, Any] = {
        "base_url": "https://two.example/v1",
        "api_key": SecretStr("sk-second-key"),
        "default_headers": {"X-Team": "b"},
        "default_query": {"q": "1"},
    }
    if how == "assignment":
        for name, value in changes.items():
            setattr(model, name, value)
        changed = model
    else:
        changed = model.model_copy(update=changes)
    await run.invoke(changed, "hi")
    assert str(server.requests[0].url) == "https://one.example/v1/chat/completions"
    assert str(server.requests[1].url) == "https://two.example/v1/chat/completions?q=1"
    assert authorization(server, 0) == f"Bearer {API_KEY}"
    assert authorization(server, 1) == "Bearer sk-second-key"
    assert server.requests[1].headers["X-Team"] == "b"


async def test_a_header_changed_in_place_takes_effect(server: MockServer, run: Runner) -> None:
    server.json(completion())
    model = server.model(default_headers={"X-Team": "a"})
    await run.invoke(model, "hi")
    assert model.default_headers is not None
    model.default_headers["X-Team"] = "b"
    await run.invoke(model, "hi")
    assert [r.headers["X-Team"] for r in server.requests] == ["a", "b"]


async def test_max_retries_changed_after_use_takes_effect(server: MockServer, run: Runner) -> None:
    server.reply(*[completion_error(503)] * 5, completion_ok())
    model = server.model(max_retries=0)
    with pytest.raises(Exception, match="503"):
        await run.invoke(model, "hi")
    assert len(server.requests) == 1
    model.max_retries = 2
    with pytest.raises(Exception, match="503"):
        await run.invoke(model, "hi")
    assert len(server.requests) == 4  # one more attempt, then two retries


@pytest.mark.parametrize("how", ["assignment", "model_copy"])
async def test_retry_backoff_changed_after_use_takes_effect(
    server: MockServer, run: Runner, how: str
) -> None:
    """A backoff of at least 3 s cannot fit a 3 s deadline: the call ends without a retry."""
    server.reply(completion_error(503), completion_ok(), completion_error(503), completion_ok())
    model = server.model(retry_backoff=0, deadline=3)
    await run.invoke(model, "hi")
    assert len(server.requests) == 2  # retried at once
    if how == "assignment":
        model.retry_backoff = 4
        changed = model
    else:
        changed = model.model_copy(update={"retry_backoff": 4})
    with pytest.raises(DeadlineExceededError, match=r"deadline of 3 s \(1 attempt\)"):
        await run.invoke(changed, "hi")
    assert len(server.requests) == 3


def completion_error(status: int) -> Any:
    return httpx.Response(status, json={"error": {"message": "busy", "type": "server"}})


def completion_ok() -> Any:
    return httpx.Response(200, json=completion())


async def test_a_timeout_assigned_after_construction_is_checked_at_the_call(
    server: MockServer, run: Runner
) -> None:
    model = server.model()
    model.timeout = 0
    with pytest.raises(ValueError, match="timeout must be a number of seconds above 0"):
        await run.invoke(model, "hi")
    assert server.requests == []


async def test_a_retry_backoff_assigned_after_construction_is_checked_at_the_call(
    server: MockServer, run: Runner
) -> None:
    model = server.model()
    model.retry_backoff = math.nan
    with pytest.raises(ValueError, match="retry_backoff must be a finite number of seconds"):
        await run.invoke(model, "hi")
    assert server.requests == []


async def test_configurable_fields_change_the_client_settings(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    model = server.model(base_url="https://one.example/v1").configurable_fields(
        base_url=ConfigurableField(id="base_url"), api_key=ConfigurableField(id="api_key")
    )
    await run.invoke(model, "hi")
    config: Any = {
        "configurable": {"base_url": "https://two.example/v1", "api_key": SecretStr("sk-2nd")}
    }
    await run.invoke(model, "hi", config=config)
    assert [r.url.host for r in server.requests] == ["one.example", "two.example"]
    assert authorization(server, 1) == "Bearer sk-2nd"


class _Metadata(BaseCallbackHandler):
    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.metadata.append(kwargs["metadata"])


async def test_the_package_version_reaches_run_metadata(server: MockServer, run: Runner) -> None:
    server.json(completion())
    handler = _Metadata()
    await run.invoke(server.model(), "hi", config={"callbacks": [handler]})
    (metadata,) = handler.metadata
    assert metadata["lc_versions"]["langchain-mashagpt"] == __version__
    assert "langchain-core" in metadata["lc_versions"]
    assert metadata["ls_provider"] == "mashagpt"
    assert metadata["ls_integration"] == "langchain_chat_model"


def test_the_version_joins_metadata_the_user_gave() -> None:
    model = ChatMashaGPT(api_key="k", metadata={"team": "a"})
    assert model.metadata is not None
    assert model.metadata["team"] == "a"
    assert model.metadata["lc_versions"]["langchain-mashagpt"] == __version__


@pytest.mark.parametrize(
    "choice",
    ["any", "required", True, "get_weather", {"type": "function", "function": {"name": "x"}}],
)
def test_forcing_a_call_with_no_tools_is_refused(choice: Any) -> None:
    with pytest.raises(ValueError, match="requires a tool call, but no tools are bound"):
        ChatMashaGPT(api_key="k").bind_tools([], tool_choice=choice)


@pytest.mark.parametrize("choice", [None, False, "auto", "none"])
async def test_no_tools_with_a_free_choice_sends_no_functions(
    server: MockServer, run: Runner, choice: Any
) -> None:
    server.json(completion())
    await run.invoke(server.model().bind_tools([], tool_choice=choice), "hi")
    assert "functions" not in server.body
    assert "function_call" not in server.body


async def test_max_completion_tokens_per_call_is_sent_as_max_tokens(
    server: MockServer, run: Runner
) -> None:
    server.json(completion())
    await run.invoke(server.model(max_tokens=100).bind(max_completion_tokens=7), "hi")
    assert server.body["max_tokens"] == 7
    assert "max_completion_tokens" not in server.body


async def test_max_tokens_twice_in_one_call_is_refused(server: MockServer, run: Runner) -> None:
    with pytest.raises(ValueError, match="max_tokens was given twice"):
        await run.invoke(server.model(), "hi", max_tokens=5, max_completion_tokens=6)
    assert server.requests == []


@pytest.mark.parametrize("deadline", [0, -5, float("nan"), "30", True])
@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_per_call_deadline_that_cannot_work_is_refused_before_sending(
    server: MockServer, run: Runner, deadline: Any, mode: str
) -> None:
    server.reply(completion_ok())
    model = server.model()
    call = run.invoke if mode == "invoke" else run.stream
    with pytest.raises(ValueError, match=r"deadline must be a number of seconds above 0.*None"):
        await call(model, "hi", deadline=deadline)
    assert server.requests == []


@pytest.mark.parametrize("deadline", [0, -1.5, float("nan")])
def test_a_deadline_field_that_cannot_work_is_refused(deadline: float) -> None:
    with pytest.raises(ValueError, match=r"deadline must be a number of seconds above 0"):
        ChatMashaGPT(api_key="sk-test", deadline=deadline)


async def test_a_per_call_deadline_of_none_lifts_the_fields(
    server: MockServer, run: Runner
) -> None:
    server.reply(completion_ok())
    message = await run.invoke(server.model(deadline=0.001), "hi", deadline=None)
    assert message.content
    assert len(server.requests) == 1


async def test_a_deadline_assigned_after_use_is_checked_before_sending(
    server: MockServer, run: Runner
) -> None:
    server.reply(completion_ok())
    model = server.model()
    await run.invoke(model, "hi")
    model.deadline = -1  # assignment is not validated by pydantic here
    with pytest.raises(ValueError, match=r"deadline must be a number of seconds above 0"):
        await run.invoke(model, "hi")
    assert len(server.requests) == 1
