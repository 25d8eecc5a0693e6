"""The API key goes out in the `Authorization` header and nowhere else.

Not in the request body or URL, the model's `repr`/`str`/dumps, the errors we
raise (message, attributes, body, traceback with its causes — even when the
server echoes the key back, see `test_a_key_the_server_echoes_is_redacted`), log
records of any logger at any level, callbacks' trace data, or cassettes.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import vcr
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.messages import BaseMessage

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt._http import pool
from langchain_mashagpt.testing import MashaGPTEmulator, Reply, vcr_config
from tests.helpers import Runner
from tests.reliability.helpers import MODES, answer

KEY = "sk-reliability-SECRET-4f1c9a7e2b"


@pytest.fixture(scope="module")
def _keyed_emulator() -> Iterator[MashaGPTEmulator]:
    with MashaGPTEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def keyed(_keyed_emulator: MashaGPTEmulator) -> Iterator[MashaGPTEmulator]:
    """An emulator that accepts only `KEY`, with no request or reply left from another test."""
    _keyed_emulator.reset()
    yield _keyed_emulator
    _keyed_emulator.reset()


def model_for(emu: MashaGPTEmulator, **kwargs: Any) -> ChatMashaGPT:
    kwargs.setdefault("max_retries", 1)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("retry_backoff", 0.01)
    return ChatMashaGPT(api_key=KEY, base_url=emu.base_url, **kwargs)


def assert_no_key(*texts: object) -> None:
    for text in texts:
        assert KEY not in str(text)
        assert KEY not in repr(text)


def everything_about(exc: BaseException) -> list[object]:
    """What a logger, a tracker or a person could see of an exception."""
    seen: list[object] = [
        str(exc),
        repr(exc),
        exc.args,
        vars(exc),
        "".join(traceback.format_exception(exc)),
    ]
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        seen += [str(cause), repr(cause), cause.args]
        cause = cause.__cause__ or cause.__context__
    return seen


@pytest.mark.parametrize("mode", MODES)
async def test_the_key_is_sent_only_in_the_authorization_header(
    run: Runner, keyed: MashaGPTEmulator, mode: str
) -> None:
    assert await answer(run, model_for(keyed), mode, f"Repeat: {KEY[:6]}")
    (request,) = keyed.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    others = {k: v for k, v in request.headers.items() if k != "authorization"}
    assert_no_key(others, request.path, request.raw_body)


def test_the_key_is_not_in_the_models_repr_str_or_dumps(keyed: MashaGPTEmulator) -> None:
    model = model_for(keyed)
    model.invoke("Hello")  # the transport (with its headers) exists now
    serialized = dumpd(model)
    assert serialized["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["MASHAGPT_API_KEY"],
    }
    assert_no_key(
        repr(model),
        str(model),
        serialized,
        dumps(model),
        dumps(model, pretty=True),
        model.model_dump(),
        model.model_dump_json(),
        model._identifying_params,
        model._get_ls_params(),
    )


def _failures() -> list[tuple[str, list[Reply], type[Exception]]]:
    return [
        ("401", [Reply.http_error(401, "Incorrect API key provided.")], errors.AuthenticationError),
        ("500", [Reply.http_error(500)] * 2, errors.InternalServerError),
        (
            "html-502",
            [Reply.http_error(502, body="<h1>Bad gateway</h1>")] * 2,
            errors.InternalServerError,
        ),
        (
            "200-html",
            [Reply.raw(200, "<html></html>", "text/html")],
            errors.APIResponseValidationError,
        ),
        ("200-error", [Reply.error_body_200("Upstream failed.")], errors.APIError),
        ("closed", [Reply.close_connection()] * 2, errors.APIConnectionError),
        ("timeout", [Reply.text("late", delay=1.0)] * 2, errors.APITimeoutError),
    ]


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize(("name", "replies", "error"), _failures(), ids=[f[0] for f in _failures()])
async def test_the_key_is_in_no_error_we_raise(
    run: Runner,
    keyed: MashaGPTEmulator,
    mode: str,
    name: str,
    replies: list[Reply],
    error: type[Exception],
) -> None:
    keyed.enqueue(*replies)
    with pytest.raises(error) as info:
        await answer(run, model_for(keyed, timeout=0.1), mode)
    assert_no_key(*everything_about(info.value))


@pytest.mark.parametrize("mode", ["stream", "streaming_invoke"])
@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply.stream_cut(2), errors.IncompleteStreamError),
        (Reply.stream_error(2, "Failed mid-stream."), errors.APIError),
        (Reply.stream_stall(2), errors.APITimeoutError),
    ],
    ids=["cut", "error-event", "stall"],
)
async def test_the_key_is_in_no_stream_error_we_raise(
    run: Runner, keyed: MashaGPTEmulator, mode: str, reply: Reply, error: type[Exception]
) -> None:
    keyed.enqueue(reply)
    with pytest.raises(error) as info:
        await answer(run, model_for(keyed, timeout=0.1), mode)
    assert_no_key(*everything_about(info.value))


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_the_key_is_in_no_connection_error(run: Runner, mode: str) -> None:
    model = ChatMashaGPT(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(errors.APIConnectionError) as info:
        await answer(run, model, mode)
    assert_no_key(*everything_about(info.value))


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_key_the_server_echoes_is_redacted(
    run: Runner, keyed: MashaGPTEmulator, mode: str
) -> None:
    """We cannot stop a server from quoting the key, but we do not pass it on.

    Our own messages never hold it; a non-2xx body that quotes the configured key
    (as a 401 "Incorrect API key provided: sk-…" may) has it replaced before it is
    parsed, so neither the message nor `body` carries it.
    """
    echo = f"Incorrect API key provided: {KEY}. You can find your key at mashagpt.ru."
    keyed.enqueue(Reply.http_error(401, echo), Reply.http_error(401, body=f"<p>key={KEY}</p>"))
    for _ in range(2):
        with pytest.raises(errors.AuthenticationError) as info:
            await answer(run, model_for(keyed), mode)
        assert_no_key(*everything_about(info.value))
        assert "<API key>" in str(info.value)
        assert "<API key>" in json.dumps(info.value.body)


class _Recorder(BaseCallbackHandler):
    """Keeps what a tracer (LangSmith) would be sent about each run."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        self.seen += [serialized, kwargs]

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.seen += [response, kwargs]

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.seen += [*everything_about(error), kwargs]


async def test_the_key_is_in_no_log_record_and_no_trace(
    run: Runner, keyed: MashaGPTEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG (httpx/httpx2, httpcore/httpcore2, asyncio, langchain) and
    the callbacks' run data, through answers, streams, retries and errors."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpx2", "httpcore", "httpcore2", "langchain_mashagpt", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    recorder = _Recorder()
    model = model_for(keyed, callbacks=[recorder], verbose=True)
    keyed.enqueue(
        Reply.model(),
        Reply.model(),
        Reply.rate_limit(retry_after_ms=1),
        Reply.model(),
        Reply.http_error(401, f"Incorrect API key provided: {KEY}"),
        Reply.stream_cut(2),
    )
    assert await answer(run, model, "invoke")
    assert await answer(run, model, "stream")
    assert await answer(run, model, "invoke")  # after a 429
    with pytest.raises(errors.AuthenticationError):
        await answer(run, model, "invoke")
    with pytest.raises(errors.IncompleteStreamError):
        await answer(run, model, "stream")
    assert len(keyed.requests) == 6
    library = pool.httpx.__name__  # httpx2, or httpx in `make compat-test`
    core = {"httpx2": "httpcore2", "httpx": "httpcore"}[library]
    assert {r.name.split(".")[0] for r in caplog.records} >= {core, library}  # they did log
    for record in caplog.records:
        assert_no_key(record.getMessage(), record.args, record.exc_text or "")
        if record.exc_info and record.exc_info[1] is not None:
            assert_no_key(*everything_about(record.exc_info[1]))
    assert recorder.seen
    assert_no_key(*recorder.seen)


async def test_the_key_is_not_in_a_cassette(
    run: Runner, keyed: MashaGPTEmulator, tmp_path: Path
) -> None:
    recorder = vcr.VCR(**vcr_config(record_mode="all", cassette_library_dir=str(tmp_path)))
    keyed.enqueue(Reply.model(), Reply.model(), Reply.http_error(401, f"Bad key {KEY}"))
    model = model_for(keyed)
    with recorder.use_cassette("secrets.yaml"):
        assert await answer(run, model, "invoke")
        assert await answer(run, model, "stream")
        with pytest.raises(errors.AuthenticationError):
            await answer(run, model, "invoke")
    text = (tmp_path / "secrets.yaml").read_text()
    assert text.count("REDACTED") >= 3  # the Authorization header of each request
    assert KEY not in text.replace(f"Bad key {KEY}", "")  # the server's own echo aside
    assert f"Bearer {KEY}" not in text
