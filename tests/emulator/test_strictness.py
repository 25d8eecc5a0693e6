"""Every strictness rule: a bad request gets the right status, `param` and a message."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._profiles import _table
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.emulator.helpers import Api, body

USER = {"role": "user", "content": "hi"}
FN = {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}
CALL = {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}}


def msgs(*messages: Any) -> dict[str, Any]:
    return {"messages": list(messages)}


BAD: list[tuple[str, dict[str, Any], str | None]] = [
    # top level
    ("missing model", {"model": None}, "model"),
    ("empty model", {"model": ""}, "model"),
    ("model not a string", {"model": 4}, "model"),
    ("missing messages", {"messages": None}, "messages"),
    ("messages not an array", {"messages": {"role": "user"}}, "messages"),
    ("empty messages", {"messages": []}, "messages"),
    ("tools", {"tools": [{"type": "function", "function": FN}]}, "tools"),
    ("tool_choice", {"tool_choice": "auto"}, "tool_choice"),
    ("parallel_tool_calls", {"parallel_tool_calls": False}, "parallel_tool_calls"),
    ("response_format", {"response_format": {"type": "json_object"}}, "response_format"),
    ("unknown parameter", {"seed": 1}, "seed"),
    ("max_completion_tokens", {"max_completion_tokens": 5}, "max_completion_tokens"),
    # messages
    ("message not an object", msgs("hi"), "messages[0]"),
    ("tool role", msgs(USER, {"role": "tool", "content": "3"}), "messages[1].role"),
    ("unknown role", msgs({"role": "developer", "content": "x"}), "messages[0].role"),
    ("missing role", msgs({"content": "x"}), "messages[0].role"),
    ("missing content", msgs({"role": "user"}), "messages[0].content"),
    ("null user content", msgs({"role": "user", "content": None}), "messages[0].content"),
    (
        "null assistant content without call",
        msgs(USER, {"role": "assistant", "content": None}),
        "messages[1].content",
    ),
    (
        "list content",
        msgs({"role": "user", "content": [{"type": "text", "text": "hi"}]}),
        "messages[0].content",
    ),
    ("number content", msgs({"role": "user", "content": 3}), "messages[0].content"),
    ("function without name", msgs(USER, {"role": "function", "content": "3"}), "messages[1].name"),
    (
        "name with a space",
        msgs({"role": "user", "content": "x", "name": "a b"}),
        "messages[0].name",
    ),
    ("name too long", msgs({"role": "user", "content": "x", "name": "a" * 65}), "messages[0].name"),
    ("name with a dash", msgs({"role": "user", "content": "x", "name": "a-b"}), "messages[0].name"),
    (
        "function_call on a user message",
        msgs({"role": "user", "content": "x", "function_call": {"name": "f", "arguments": "{}"}}),
        "messages[0].function_call",
    ),
    (
        "function_call arguments not a string",
        msgs(USER, {**CALL, "function_call": {"name": "f", "arguments": {}}}),
        "messages[1].function_call.arguments",
    ),
    (
        "function_call without arguments",
        msgs(USER, {**CALL, "function_call": {"name": "f"}}),
        "messages[1].function_call",
    ),
    (
        "function_call with an id",
        msgs(USER, {**CALL, "function_call": {"name": "f", "arguments": "{}", "id": "x"}}),
        "messages[1].function_call",
    ),
    (
        "function_call bad name",
        msgs(USER, {**CALL, "function_call": {"name": "a b", "arguments": "{}"}}),
        "messages[1].function_call.name",
    ),
    (
        "tool_calls on a message",
        msgs(USER, {"role": "assistant", "content": "", "tool_calls": []}),
        "messages[1].tool_calls",
    ),
    (
        "tool_call_id on a message",
        msgs(USER, {"role": "function", "name": "f", "content": "3", "tool_call_id": "c1"}),
        "messages[1].tool_call_id",
    ),
    ("unknown message field", msgs({**USER, "refusal": None}), "messages[0].refusal"),
    # functions
    ("functions not an array", {"functions": FN}, "functions"),
    ("empty functions", {"functions": []}, "functions"),
    (
        "function without name",
        {"functions": [{"parameters": FN["parameters"]}]},
        "functions[0].name",
    ),
    ("function without parameters", {"functions": [{"name": "f"}]}, "functions[0].parameters"),
    (
        "function name with a dot",
        {"functions": [{**FN, "name": "get.weather"}]},
        "functions[0].name",
    ),
    ("function name too long", {"functions": [{**FN, "name": "f" * 65}]}, "functions[0].name"),
    ("duplicate function names", {"functions": [FN, FN]}, "functions[1].name"),
    (
        "parameters not an object schema",
        {"functions": [{**FN, "parameters": {"type": "string"}}]},
        "functions[0].parameters",
    ),
    (
        "parameters a list",
        {"functions": [{**FN, "parameters": []}]},
        "functions[0].parameters",
    ),
    (
        "required not a list",
        {"functions": [{**FN, "parameters": {"type": "object", "required": "a"}}]},
        "functions[0].parameters.required",
    ),
    (
        "tools-style function entry",
        {"functions": [{"type": "function", "function": FN}]},
        "functions[0].type",
    ),
    (
        "description not a string",
        {"functions": [{**FN, "description": 3}]},
        "functions[0].description",
    ),
    # function_call
    ("function_call without functions", {"function_call": "auto"}, "function_call"),
    ("function_call any", {"functions": [FN], "function_call": "any"}, "function_call"),
    ("function_call required", {"functions": [FN], "function_call": "required"}, "function_call"),
    (
        "function_call unknown name",
        {"functions": [FN], "function_call": {"name": "nope"}},
        "function_call",
    ),
    (
        "function_call tools style",
        {"functions": [FN], "function_call": {"type": "function", "function": {"name": "x"}}},
        "function_call",
    ),
    # numbers and types
    ("temperature too high", {"temperature": 2.5}, "temperature"),
    ("temperature negative", {"temperature": -0.1}, "temperature"),
    ("temperature a string", {"temperature": "0.5"}, "temperature"),
    ("temperature a bool", {"temperature": True}, "temperature"),
    ("top_p too high", {"top_p": 1.5}, "top_p"),
    ("n zero", {"n": 0}, "n"),
    ("n too large", {"n": 11}, "n"),
    ("n a float", {"n": 1.0}, "n"),
    ("n a bool", {"n": True}, "n"),
    ("presence_penalty out of range", {"presence_penalty": 2.1}, "presence_penalty"),
    ("frequency_penalty out of range", {"frequency_penalty": -3}, "frequency_penalty"),
    ("max_tokens zero", {"max_tokens": 0}, "max_tokens"),
    ("max_tokens a float", {"max_tokens": 10.5}, "max_tokens"),
    ("max_tokens a string", {"max_tokens": "10"}, "max_tokens"),
    ("logit_bias not a map", {"logit_bias": [1]}, "logit_bias"),
    ("logit_bias out of range", {"logit_bias": {"42": 101}}, "logit_bias"),
    ("logit_bias non-numeric key", {"logit_bias": {"hello": 1}}, "logit_bias"),
    ("logit_bias bool value", {"logit_bias": {"42": True}}, "logit_bias"),
    ("stop a number", {"stop": 3}, "stop"),
    ("stop with a number", {"stop": ["a", 3]}, "stop"),
    ("stop too many", {"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ("stop empty string", {"stop": ""}, "stop"),
    ("stream a string", {"stream": "true"}, "stream"),
    ("stream an int", {"stream": 1}, "stream"),
    ("user not a string", {"user": 42}, "user"),
    (
        "stream_options without stream",
        {"stream_options": {"include_usage": True}},
        "stream_options",
    ),
    (
        "stream_options unknown key",
        {"stream": True, "stream_options": {"include_usage": True, "x": 1}},
        "stream_options",
    ),
    (
        "include_usage not a bool",
        {"stream": True, "stream_options": {"include_usage": "yes"}},
        "stream_options.include_usage",
    ),
]


@pytest.mark.parametrize(("overrides", "param"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_request_is_400(api: Api, overrides: dict[str, Any], param: str | None) -> None:
    payload = {k: v for k, v in body(**overrides).items() if v is not None}
    answer = api.request(payload)
    assert answer.status == 400, answer.body
    assert answer.headers["content-type"] == "application/json"
    error = answer.error
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert isinstance(error["message"], str)
    assert len(error["message"]) > 10
    assert set(error) == {"message", "type", "param", "code"}


GOOD: list[tuple[str, dict[str, Any]]] = [
    (
        "nulls where the source allows them",
        {
            "temperature": None,
            "top_p": None,
            "n": None,
            "stream": None,
            "stop": None,
            "max_tokens": None,
            "presence_penalty": None,
            "frequency_penalty": None,
        },
    ),
    (
        "all parameters",
        {
            "temperature": 0,
            "top_p": 1,
            "n": 2,
            "stream": False,
            "stop": ["\n"],
            "max_tokens": 50,
            "presence_penalty": -2,
            "frequency_penalty": 2.0,
            "logit_bias": {"50256": -100},
            "user": "u-1",
        },
    ),
    ("stop as a string", {"stop": "END"}),
    ("stream_options", {"stream": True, "stream_options": {"include_usage": False}}),
    ("stream_options null", {"stream_options": None}),
    (
        "history with a function call",
        msgs(
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is 1 + 2", "name": "example_user"},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "my_adder_tool", "arguments": '{"a": 1, "b": 2}'},
            },
            {"role": "function", "name": "my_adder_tool", "content": "3"},
            {"role": "assistant", "content": "It is 3."},
            {"role": "user", "content": ""},
        ),
    ),
    ("functions with function_call none", {"functions": [FN], "function_call": "none"}),
    ("a dash in a function name", {"functions": [{**FN, "name": "get-weather"}]}),
]


@pytest.mark.parametrize("overrides", [c[1] for c in GOOD], ids=[c[0] for c in GOOD])
def test_valid_request_is_200(api: Api, overrides: dict[str, Any]) -> None:
    answer = api.post(**overrides)
    assert answer.status == 200, answer.body


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "not valid"),
        (b'{"model": "gpt-4o", "messages": [], "temperature": NaN}', "NaN"),
        (b"\xff\xfe", "UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b"null", "JSON object"),
    ],
)
def test_body_not_a_json_object(api: Api, raw: bytes, fragment: str) -> None:
    answer = api.request(raw=raw)
    assert answer.status == 400
    assert fragment in answer.error["message"]


def test_content_type_must_be_json(api: Api) -> None:
    answer = api.request(body(), headers={"Content-Type": "text/plain"})
    assert answer.status == 400
    assert "application/json" in answer.error["message"]


@pytest.mark.parametrize(
    "auth",
    [None, "Bearer wrong-key-1234", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "sk-raw-key"],
)
def test_bad_authorization_is_401(api: Api, auth: str | None) -> None:
    answer = api.request(body(), auth=auth)
    assert answer.status == 401
    assert answer.error["code"] == "invalid_api_key"
    assert "wrong-key-1234" not in answer.error["message"]


def test_custom_api_key() -> None:
    with MashaGPTEmulator(api_key="my-key") as emu:
        api = Api(emu)
        assert emu.api_key == "my-key"
        assert api.request(body()).status == 200
        assert api.request(body(), auth="Bearer sk-mashagpt-emulator-test-key").status == 401


def test_unknown_model_is_404(api: Api) -> None:
    answer = api.post(model="gpt-17-ultra")
    assert answer.status == 404
    assert answer.error["code"] == "model_not_found"
    assert answer.error["param"] == "model"
    assert "gpt-17-ultra" in answer.error["message"]


def test_any_model_with_known_models_none() -> None:
    with MashaGPTEmulator(known_models=None) as emu:
        answer = Api(emu).post(model="my-private-model")
        assert answer.status == 200
        assert answer.json()["model"] == "my-private-model"


def test_custom_known_models() -> None:
    with MashaGPTEmulator(known_models=["only-this"]) as emu:
        assert Api(emu).post(model="only-this").status == 200
        assert Api(emu).post(model="gpt-4o").status == 404


@pytest.mark.parametrize("path", ["/chat/completions", "/v1/completions", "/v1/models", "/"])
def test_unknown_path_is_404(api: Api, path: str) -> None:
    answer = api.request(body(), path=path)
    assert answer.status == 404
    assert answer.error["code"] == "unknown_url"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_method_is_405(api: Api, method: str) -> None:
    answer = api.request(body(), method=method)
    assert answer.status == 405
    assert answer.headers["allow"] == "POST"


def test_query_string_is_ignored_by_routing(api: Api) -> None:
    assert api.request(body(), path="/v1/chat/completions?x=1").status == 200


def test_invalid_requests_are_recorded_and_do_not_consume_the_script(
    emu: MashaGPTEmulator, api: Api
) -> None:
    from langchain_mashagpt.testing import Reply

    emu.enqueue(Reply.text("scripted"))
    assert api.post(tools=[]).status == 400
    assert api.request(raw=b"{oops").status == 400
    assert emu.pending_replies == 1
    assert api.post().json()["choices"][0]["message"]["content"] == "scripted"
    recorded = emu.requests
    assert [r.body for r in recorded[:2]] == [body(tools=[]), None]
    assert recorded[1].raw_body == b"{oops"


@pytest.mark.parametrize("model", sorted(_table()["models"]))
def test_every_model_of_the_profiles_is_known(model: str) -> None:
    with MashaGPTEmulator() as emu:
        answer = Api(emu).post(model=model)
        assert answer.status == 200
        assert answer.json()["model"] == model


@pytest.mark.parametrize(
    "model", ["gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022", "gpt-4-0613", "o3-2025-04-16"]
)
def test_a_dated_variant_of_a_known_model_is_known(model: str) -> None:
    with MashaGPTEmulator() as emu:
        answer = Api(emu).post(model=model)
        assert answer.status == 200
        assert answer.json()["model"] == model


def test_a_dated_variant_is_billed_at_its_models_rate() -> None:
    with MashaGPTEmulator() as emu:
        dated = Api(emu).post(model="gpt-4o-2024-08-06").json()["usage"]
        plain = Api(emu).post(model="gpt-4o").json()["usage"]
        assert dated == plain


@pytest.mark.parametrize("model", ["gpt-4o-turbo-max", "gpt-17-2024-08-06", "gpt-4o-2024-8-6"])
def test_an_unknown_id_is_still_a_404_naming_the_known_ones(model: str) -> None:
    with MashaGPTEmulator() as emu:
        answer = Api(emu).post(model=model)
        assert answer.status == 404
        assert answer.error["code"] == "model_not_found"
        assert f"`{model}`" in answer.error["message"]
        assert "gpt-4o, gpt-4o-mini" in answer.error["message"]
        assert "claude-sonnet-4-5" in answer.error["message"]


def test_a_wrong_key_says_check_the_key_once() -> None:
    with MashaGPTEmulator() as emu:
        model = ChatMashaGPT(api_key="sk-wrong-key", base_url=emu.base_url, max_retries=0)
        with pytest.raises(errors.AuthenticationError) as info:
            model.invoke("Hi")
    assert str(info.value).lower().count("check") == 1
    assert "set MASHAGPT_API_KEY or pass api_key=" in str(info.value)
