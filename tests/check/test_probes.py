"""The probes of `mashagpt-check --probes`: accepted or refused, with the error's shape (#20)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from langchain_mashagpt._http.tap import Tap
from langchain_mashagpt.check import PROBES, main, run_check, steps
from langchain_mashagpt.check._context import REASONING_MODEL, Context, Stopped
from langchain_mashagpt.check._probes import Finding, image, reasoning, response_format, tools
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.check.conftest import KEY_LIKE_SECRET, Checker

Handler = Callable[[httpx.Request], httpx.Response]


def test_probes_run_only_when_asked() -> None:
    assert not {p.name for p in PROBES} & {s.name for s in steps()}
    assert steps(probes=True)[-len(PROBES) :] == list(PROBES)


def test_the_emulator_refuses_what_the_api_page_has_not_and_reasons(
    check: Checker, emu: MashaGPTEmulator
) -> None:
    result = check(script=PROBES)
    by_step = result.by_step()
    assert {name: o.status for name, o in by_step.items()} == {
        "probe-tools": "refused",
        "probe-response-format": "refused",
        "probe-image": "refused",
        "probe-reasoning": "accepted",
    }, result.output
    assert "HTTP 400, error {type='invalid_request_error', param='tools'" in (
        by_step["probe-tools"].note
    )
    assert "param='response_format'" in by_step["probe-response-format"].note
    assert "param='messages[0].content'" in by_step["probe-image"].note
    assert by_step["probe-reasoning"].note == f"{REASONING_MODEL} returned `reasoning_content`"
    assert all(line.startswith(("accepted ", "refused ")) for line in result.lines)
    assert KEY_LIKE_SECRET not in result.output

    sent = [r.body for r in emu.requests]
    assert len(sent) == len(PROBES)  # one request each, never retried
    assert sent[0]["tools"][0]["function"]["name"] == "get_weather"
    assert "functions" not in sent[0]
    assert sent[1]["response_format"]["type"] == "json_schema"
    assert sent[2]["messages"][0]["content"][1]["type"] == "image_url"
    assert sent[3]["model"] == REASONING_MODEL
    assert all(body["max_tokens"] == 64 for body in sent)


def test_another_reasoning_model_can_be_probed(emu: MashaGPTEmulator) -> None:
    lines: list[str] = []
    outcomes = run_check(
        base_url=emu.base_url,
        api_key=emu.api_key,
        models=["gpt-4o-mini"],
        steps=[p for p in PROBES if p.name == "probe-reasoning"],
        reasoning_model="deepseek-chat",
        emit=lines.append,
    )
    assert outcomes[0].status == "accepted"
    assert outcomes[0].note.startswith("deepseek-chat returned no reasoning_content (fields: ")


def mock_context(handler: Handler) -> tuple[Context, Tap]:
    tap = Tap(httpx.MockTransport(handler))
    http = httpx.Client(transport=tap)
    return Context("gpt-4o-mini", "https://api.example/v1", "sk-test", tap, http), tap


def answering(message: dict[str, Any]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        return httpx.Response(200, json=body)

    return handler


@pytest.mark.parametrize(
    ("probe", "message", "detail"),
    [
        (tools, {"tool_calls": [{"id": "a"}]}, "answered with message.tool_calls"),
        (tools, {"function_call": {"name": "get_weather"}}, "answered with message.function_call"),
        (tools, {"content": "Sunny."}, "answered in text, no call"),
        (response_format, {"content": '{"city": "Paris"}'}, "the content is a JSON object"),
        (response_format, {"content": "Paris"}, "the content is not JSON"),
        (image, {"content": "Red."}, "answered 'Red.'"),
        (reasoning, {"content": "391", "reasoning": "17*23"}, "returned `reasoning`"),
    ],
)
def test_an_accepting_api_says_what_came_back(
    probe: Callable[[Context], Finding], message: dict[str, Any], detail: str
) -> None:
    ctx, tap = mock_context(answering({"role": "assistant", **message}))
    found = probe(ctx)
    assert found.verdict == "accepted"
    assert detail in found.detail
    assert len(tap.exchanges) == 1


@pytest.mark.parametrize(
    ("reply", "shape"),
    [
        (
            httpx.Response(
                422, json={"error": {"message": "tools unsupported", "type": "bad", "code": "x"}}
            ),
            "HTTP 422, error {type='bad', code='x'}: tools unsupported",
        ),
        (httpx.Response(400, json={"detail": "no"}), "HTTP 400, body object {detail}"),
        (
            httpx.Response(400, text="<html>", headers={"content-type": "text/html"}),
            "HTTP 400, a body that is not JSON (text/html)",
        ),
        (httpx.Response(404, json={"error": "unknown"}), "HTTP 404, body object {error}: unknown"),
    ],
)
@pytest.mark.parametrize("probe", [tools, response_format, image, reasoning])
def test_a_refusing_api_is_reported_with_the_errors_shape(
    probe: Callable[[Context], Finding], reply: httpx.Response, shape: str
) -> None:
    ctx, _ = mock_context(lambda request: reply)
    assert probe(ctx) == Finding("refused", shape)


def test_a_refused_key_stops_the_probes() -> None:
    ctx, _ = mock_context(lambda request: httpx.Response(401, json={"error": {"message": "no"}}))
    with pytest.raises(Stopped, match="refused the API key"):
        tools(ctx)


@pytest.mark.usefixtures("no_key_env")
def test_the_command_runs_the_probes_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--probes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "accepted gpt-4o-mini" in out
    assert "refused  gpt-4o-mini" in out
    count = len(steps())
    assert f"Total: {count} ok, 0 differs, 0 failed, 1 accepted, 3 refused;" in out


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASHAGPT_API_KEY", raising=False)
    monkeypatch.delenv("MASHAGPT_BASE_URL", raising=False)


def test_the_probes_change_nothing_in_what_the_package_sends(emu: MashaGPTEmulator) -> None:
    from langchain_mashagpt import ChatMashaGPT

    run_check(
        base_url=emu.base_url, api_key=emu.api_key, models=["gpt-4o-mini"], steps=PROBES, emit=len
    )
    model = ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key)
    model.bind_tools([{"name": "f", "parameters": {"type": "object", "properties": {}}}]).invoke(
        "hi"
    )
    body = emu.requests[-1].body
    assert "tools" not in body
    assert "functions" in body
    assert json.dumps(body).count("response_format") == 0
