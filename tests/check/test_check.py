"""The check against the emulator: clean when it speaks the API page, "differs" when it deviates."""

from __future__ import annotations

import dataclasses
import json

import pytest

from langchain_mashagpt._http.tap import Exchange
from langchain_mashagpt.check import STEPS, run_check, steps
from langchain_mashagpt.check._steps import BAD_KEY, _resent
from langchain_mashagpt.testing import Deviations, MashaGPTEmulator, Reply
from tests.check.conftest import KEY_LIKE_SECRET, Checker


def _step(name: str) -> list:
    return [step for step in STEPS if step.name == name]


def test_the_emulator_passes_every_step(check: Checker, emu: MashaGPTEmulator) -> None:
    result = check()

    assert [o.step.name for o in result.outcomes] == [s.name for s in steps()]
    assert [o.status for o in result.outcomes] == ["ok"] * len(result.outcomes), result.output
    assert all(line.startswith("ok ") for line in result.lines)
    # Every answer that bills reports its energy, and the line shows it.
    billed = {o.step.name: o.energy for o in result.outcomes}
    assert (billed["plain"] or 0) > 0
    assert (billed["stream"] or 0) > 0
    assert billed["bad-key"] is None

    requests = [r.body for r in emu.requests]
    assert len(requests) == len(steps())  # one request per step, no retries
    by_step = dict(zip([s.name for s in steps()], emu.requests, strict=True))
    assert by_step["stream"].body["stream_options"] == {"include_usage": True}
    assert "stream_options" not in by_step["stream-plain"].body
    assert by_step["stop"].body["stop"] == ["gamma"]
    assert by_step["n2"].body["n"] == 2
    assert by_step["function-auto"].body["function_call"] == "auto"
    assert by_step["function-forced"].body["function_call"] == {"name": "get_weather"}
    assert by_step["dispatcher"].body["function_call"] == {"name": "select_tool"}
    offered = [f["name"] for f in by_step["parallel"].body["functions"]]
    assert "multi_tool_use_parallel" in offered
    assert [m["role"] for m in by_step["function-result"].body["messages"]] == [
        "user",
        "assistant",
        "function",
    ]
    assert "Привет".encode() in by_step["russian"].raw_body
    assert "messages" not in by_step["bad-request"].body
    assert by_step["bad-key"].headers["authorization"] == f"Bearer {BAD_KEY}"
    for name, request in by_step.items():
        if name not in ("bad-request", "bad-key"):
            assert request.headers["authorization"] == f"Bearer {KEY_LIKE_SECRET}"
            assert request.body["max_tokens"] == 64  # answers stay short and cheap


# Each deviation named in the issue, the steps it must make "differ", and a
# field the difference must name.
DEVIATIONS = {
    "usage_on_finish_chunk": {"stream": "usage chunk: expected the last chunk"},
    "refuse_stream_options": {
        "stream": "seen 400 (Unrecognized request argument supplied: stream_options), "
        "resent without stream_options"
    },
    "no_stream_energy": {"stream": "stream usage energy: expected prompt_energy"},
    "tool_calls_stream": {"function-forced": "delta.tool_calls"},
    "detail_error_body": {
        "bad-request": 'error body: expected {"error"',
        "bad-key": "seen object {detail}",
    },
}


@pytest.mark.parametrize("deviation", list(DEVIATIONS))
def test_each_deviation_is_reported_as_differs(check: Checker, deviation: str) -> None:
    with _deviating(deviation) as deviating:
        result = check(target=deviating)

    expected = DEVIATIONS[deviation]
    for name, outcome in result.by_step().items():
        if name in expected:
            assert outcome.status == "differs", result.output
            assert expected[name] in "; ".join(map(str, outcome.differences))
        else:
            assert outcome.status == "ok", result.output
    assert len(result.outcomes) == len(steps())  # no crash, no stop


def _deviating(deviation: str) -> MashaGPTEmulator:
    """The emulator playing one `Deviations` flag."""
    return MashaGPTEmulator(deviations=Deviations(**{deviation: True}))


def test_every_deviation_is_covered() -> None:
    flags = {f.name for f in dataclasses.fields(Deviations)}
    assert set(DEVIATIONS) == flags


def test_a_rate_limit_fails_its_step_without_a_retry(check: Checker, emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.rate_limit(retry_after=0), Reply.http_error(503))
    result = check(script=_step("plain") + _step("stream") + _step("stop"))

    plain, stream, stop = result.outcomes
    assert (plain.status, stream.status, stop.status) == ("failed", "failed", "ok")
    assert "no answer to judge" in plain.note
    assert "429" in plain.note
    assert "503" in stream.note
    assert len(emu.requests) == 3  # max_retries=0: nothing is paid for twice


def test_a_refused_key_stops_the_run_and_is_never_printed(
    check: Checker, emu: MashaGPTEmulator
) -> None:
    wrong = "sk-live-0000aaaa1111bbbb2222cccc3333dddd"
    result = check(api_key=wrong, models=["gpt-4o-mini", "gpt-4o"])

    assert len(result.outcomes) == 1
    (outcome,) = result.outcomes
    assert outcome.status == "failed"
    assert outcome.note.startswith("stopped: MashaGPT refused the API key")
    assert len(emu.requests) == 1
    assert wrong not in result.output


def test_a_refused_key_on_the_raw_request_stops_too(check: Checker, emu: MashaGPTEmulator) -> None:
    result = check(api_key="sk-live-wrong-key-for-bad-request", script=_step("bad-request"))

    assert result.outcomes[0].note.startswith("stopped:")


def test_a_key_echoed_back_is_redacted(check: Checker, emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.http_error(400, f"Key {KEY_LIKE_SECRET} has no access to this model."))
    result = check(script=_step("plain"))

    assert result.outcomes[0].status == "differs"
    assert "Key <API key> has no access" in result.output
    assert KEY_LIKE_SECRET not in result.output


def test_a_stream_cut_before_done_differs(check: Checker, emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.stream_cut(3))
    result = check(script=_step("stream"))

    text = "; ".join(map(str, result.outcomes[0].differences))
    assert result.outcomes[0].status == "differs"
    assert "stream end: expected data: [DONE], seen none" in text
    assert "IncompleteStreamError" in text


def test_an_unreachable_service_fails_every_step_without_crashing() -> None:
    with MashaGPTEmulator() as gone:
        port = gone.port  # closed once the block ends: nothing listens there
    lines: list[str] = []
    outcomes = run_check(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=KEY_LIKE_SECRET,
        models=["gpt-4o-mini"],
        steps=_step("plain") + _step("bad-request"),
        emit=lines.append,
    )

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("no answer to judge" in o.note for o in outcomes)


def test_the_too_long_prompt(check: Checker, emu: MashaGPTEmulator) -> None:
    emu.enqueue(
        Reply.http_error(
            400,
            "This model's maximum context length is 128000 tokens.",
            code="context_length_exceeded",
        )
    )
    refused = check(script=_step("too-long")).outcomes[0]
    accepted = check(script=_step("too-long")).outcomes[0]

    assert refused.status == "ok"
    assert accepted.status == "differs"  # the emulator has no context window
    assert "the prompt was accepted (300000 prompt tokens)" in str(accepted.differences[0])
    assert "too-long" not in [s.name for s in steps()]
    assert "too-long" in [s.name for s in steps(expensive=True)]


def test_the_parallel_step_wants_two_calls(check: Checker, emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.function_call("get_weather", '{"city": "Moscow"}'))
    outcome = check(script=_step("parallel")).outcomes[0]

    assert outcome.status == "differs"
    assert [str(d) for d in outcome.differences] == [
        "message.function_call.name: expected 'multi_tool_use_parallel', seen 'get_weather'",
        "tool_calls: expected two get_weather calls, seen ['get_weather']",
    ]


ANSWERING = [s for s in STEPS if s.name not in ("bad-request", "bad-key", "too-long")]


@pytest.mark.parametrize(
    "reply",
    [
        Reply.http_error(400, "Scripted refusal."),
        Reply.raw(200, b"<html>maintenance</html>", "text/html"),
        Reply.error_body_200("Scripted error in a 200."),
        Reply.raw(400, b"Bad Request", "text/plain"),
    ],
    ids=["400", "html-200", "error-in-200", "text-400"],
)
def test_any_odd_answer_to_any_step_differs_without_a_crash(
    check: Checker, emu: MashaGPTEmulator, reply: Reply
) -> None:
    emu.extend([reply] * len(ANSWERING))
    result = check(script=ANSWERING)

    assert [o.status for o in result.outcomes] == ["differs"] * len(ANSWERING), result.output
    for outcome in result.outcomes:
        assert any(d.field == "ChatMashaGPT" for d in outcome.differences), result.output
        assert outcome.energy is None


def test_usage_sent_without_being_asked_must_still_carry_energy(
    check: Checker, emu: MashaGPTEmulator
) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    events = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": "1"},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        },
    ]
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    emu.enqueue(Reply.raw(200, body.encode(), "text/event-stream"))
    outcome = check(script=_step("stream-plain")).outcomes[0]

    assert outcome.status == "differs"
    assert [d.field for d in outcome.differences] == ["stream usage energy"]


def test_a_service_that_takes_any_key_differs(check: Checker) -> None:
    with MashaGPTEmulator(api_key=BAD_KEY) as lax:
        outcome = check(target=lax, script=_step("bad-key")).outcomes[0]

    assert outcome.status == "differs"
    assert str(outcome.differences[0]) == "status: expected 401, seen 200"
    assert str(outcome.differences[-1]) == (
        "package error: expected AuthenticationError, seen an answer"
    )


def test_no_energy_left_stops_the_run(check: Checker, emu: MashaGPTEmulator) -> None:
    emu.enqueue(Reply.http_error(402, "Not enough energy on the account."))
    result = check(models=["gpt-4o-mini", "gpt-4o"])

    (outcome,) = result.outcomes
    assert outcome.status == "failed"
    assert outcome.note.startswith("stopped: the account has no energy left")
    assert len(emu.requests) == 1


def test_an_unknown_model_skips_to_the_next_one(check: Checker, emu: MashaGPTEmulator) -> None:
    result = check(models=["no-such-model", "gpt-4o-mini"])

    first, *rest = result.outcomes
    assert (first.model, first.status) == ("no-such-model", "failed")
    assert "this model's other steps are skipped" in first.note
    assert "NotFoundError" in first.note
    assert [o.model for o in rest] == ["gpt-4o-mini"] * len(steps())
    assert all(o.status == "ok" for o in rest), result.output


@pytest.mark.parametrize(
    ("name", "reply", "expected"),
    [
        (
            "dispatcher",
            Reply.function_call("get_time", '{"city": "Tokyo"}'),
            "message.function_call.name: expected 'select_tool', seen 'get_time'",
        ),
        (
            "function-auto",
            Reply.text("It is sunny in Paris."),
            "message.function_call.name: expected 'get_weather', seen a text answer",
        ),
    ],
)
def test_a_call_of_another_function_differs(
    check: Checker, emu: MashaGPTEmulator, name: str, reply: Reply, expected: str
) -> None:
    emu.enqueue(reply)
    outcome = check(script=_step(name)).outcomes[0]

    assert outcome.status == "differs"
    assert str(outcome.differences[0]) == expected


def test_a_request_resent_without_a_field_is_reported() -> None:
    """The package's fallback: a 400 naming `stream_options`, then the stream without it."""
    first = b'{"model":"m","stream":true,"stream_options":{"include_usage":true}}'
    refusal = b'{"error":{"message":"Unrecognized request argument supplied: stream_options"}}'
    again = Exchange(b'{"model":"m","stream":true}', 200, "text/event-stream")
    assert [
        str(d)
        for d in _resent([Exchange(first, 400, "application/json", bytearray(refusal)), again])
    ] == [
        "HTTP status: expected 200, seen 400 (Unrecognized request argument supplied: "
        "stream_options), resent without stream_options"
    ]
    garbled = Exchange(first, 400, "text/plain", bytearray(b"Bad Request"))
    assert str(_resent([garbled, again])[0]).endswith(
        "seen 400 (Bad Request), resent without stream_options"
    )
    assert _resent([again]) == []
