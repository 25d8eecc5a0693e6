"""A cassette never holds the key, not even one the server echoes in a body or a header.

Before, `vcr_config()` filtered only the request's credential headers: a key the
server echoed (in an error body, `WWW-Authenticate`, any header, a stream) went
into the cassette file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import vcr  # type: ignore[import-untyped]

from langchain_mashagpt import ChatMashaGPT, errors
from langchain_mashagpt.testing import vcr_config
from tests.helpers import Runner
from tests.reliability.helpers import answer
from tests.reliability.hostile import DONE, Connection, Hostile, chunk, completion, event
from tests.reliability.leaks import assert_no_piece

KEY = "sk-Cassette-Mn45Op67Qr89"
Start = Callable[..., Hostile]


def echoing(conn: Connection) -> None:
    """Echoes the key in the body and in several headers, in every kind of answer."""
    headers = {
        "WWW-Authenticate": f'Bearer realm="api", error="{KEY}"',
        "X-Echo": f"Bearer {KEY}",
        "X-Part": KEY[4:16],
    }
    kind = conn.payload["messages"][0]["content"]
    if kind == "fail":
        body = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
        conn.reply(401, body, headers=headers)
    elif conn.payload.get("stream"):
        conn.stream([event(chunk(f"your key is {KEY}")), DONE], headers=headers)
        conn.end_chunks()
    else:
        conn.reply(200, completion(f"your key is {KEY}"), headers=headers)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_an_echoed_key_is_scrubbed_from_the_cassette(
    run: Runner, hostile: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.delenv("MASHAGPT_API_KEY", raising=False)  # learnt from the request itself
    server = hostile(echoing)
    model = ChatMashaGPT(api_key=KEY, base_url=server.base_url, max_retries=0)
    recorder = vcr.VCR(**vcr_config(record_mode="all", cassette_library_dir=str(tmp_path)))
    with recorder.use_cassette("echo.yaml"):
        assert KEY in await answer(run, model, mode, "hello")
        with pytest.raises(errors.AuthenticationError):
            await answer(run, model, mode, "fail")
    text = (tmp_path / "echo.yaml").read_text()
    assert text.count("REDACTED") >= 2  # each request's Authorization
    assert "<API key>" in text
    assert "www-authenticate" in text.lower()
    assert_no_piece(KEY, text)


async def test_a_second_key_and_proxy_credentials_given_are_scrubbed(
    run: Runner, hostile: Start, tmp_path: Path
) -> None:
    other = "sk-Other-Key-Zz99Yy88"

    def mention(conn: Connection) -> None:
        conn.reply(200, completion(f"seen {other} and proxy Basic dXNlcjpob3VuZA=="))

    server = hostile(mention)
    model = ChatMashaGPT(api_key=KEY, base_url=server.base_url, max_retries=0)
    config = vcr_config(secrets=[other], record_mode="all", cassette_library_dir=str(tmp_path))
    with vcr.VCR(**config).use_cassette("other.yaml"):
        await answer(run, model, "invoke")
    text = (tmp_path / "other.yaml").read_text()
    assert_no_piece(other, text)
    assert_no_piece(KEY, text)
