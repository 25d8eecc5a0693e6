"""The recorded cassettes hold no key, and replay fails loudly when they do not match.

The cassettes in `tests/cassettes/` (and `examples/cassettes/`) are public: nothing that authenticates may be in
them. And `make test` replays them with `--record-mode=none`: a missing cassette or
a request it does not hold must fail the test, never pass or re-record quietly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from langchain_mashagpt.testing import DEFAULT_API_KEY

ROOT = Path(__file__).parents[2]
CASSETTES = ROOT / "tests" / "cassettes"
ALL = sorted([*CASSETTES.rglob("*.yaml"), *(ROOT / "examples" / "cassettes").rglob("*.yaml")])
_BEARER = re.compile(r"bearer\s+\S+", re.IGNORECASE)
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key", "cookie", "set-cookie")


def test_there_are_cassettes() -> None:
    ours = list(CASSETTES.rglob("*.yaml"))
    assert len(ours) >= 40
    assert {p.parent.name for p in ours} == {
        "test_standard",
        "test_features",
        "test_parallel_features",
    }


@pytest.mark.parametrize("path", ALL, ids=[str(p.relative_to(ROOT)) for p in ALL])
def test_cassette_holds_no_key(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    secrets = [DEFAULT_API_KEY]
    if live_key := os.environ.get("MASHAGPT_API_KEY"):
        secrets.append(live_key)
    for secret in secrets:
        assert secret not in text, f"an API key is in {path.name}"
    assert not _BEARER.search(text), f"a Bearer token is in {path.name}"

    interactions = yaml.safe_load(text)["interactions"]
    assert interactions
    for interaction in interactions:
        for part in ("request", "response"):
            headers = {k.lower(): v for k, v in interaction[part]["headers"].items()}
            for name in _CREDENTIAL_HEADERS:
                assert headers.get(name, ["REDACTED"]) == ["REDACTED"], (name, path.name)


# A test module run in a subprocess with the integration tests' own fixtures and
# the project's pytest settings (record mode none, sockets disabled).
_REPLAY_PROBE = """
import pytest

from tests.integration_tests.conftest import (
    _every_recorded_request_is_made,
    chat,
    mashagpt_connection,
    vcr_cassette_dir,
    vcr_config,
)

RECORDED = {recorded!r}


@pytest.mark.vcr
def test_no_cassette(chat):
    chat.invoke("This request was never recorded")


@pytest.mark.vcr(RECORDED)
def test_request_not_in_cassette(chat):
    chat.invoke("Hello, but not the recorded Hello")


@pytest.mark.vcr(RECORDED)
async def test_async_request_not_in_cassette(chat):
    await chat.ainvoke("Hello, but not the recorded Hello")


@pytest.mark.vcr(RECORDED)
def test_swallowed_mismatch(chat):
    try:
        chat.invoke("Hello, but not the recorded Hello")
    except Exception:
        pass


@pytest.mark.vcr(RECORDED)
def test_recorded_request(chat):
    assert chat.invoke("Hello").content
"""


def test_a_missing_or_unmatched_cassette_fails_in_replay(tmp_path: Path) -> None:
    recorded = CASSETTES / "test_standard" / "TestChatMashaGPTIntegration.test_invoke.yaml"
    probe = tmp_path / "test_replay_probe.py"
    probe.write_text(textwrap.dedent(_REPLAY_PROBE.format(recorded=str(recorded))))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASHAGPT_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "-rA", str(probe)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    summary = set(re.findall(r"^(PASSED|FAILED|ERROR) ::(\w+)(?: - (.{20}))?", output, re.M))
    unmatched = "vcr.errors.CannotOve"
    unplayed = "Failed: 1 of the 1 r"
    assert summary == {
        ("FAILED", "test_no_cassette", unmatched),
        ("FAILED", "test_request_not_in_cassette", unmatched),
        ("FAILED", "test_async_request_not_in_cassette", unmatched),
        # the cassette's own request was not made either: reported at teardown too
        ("ERROR", "test_request_not_in_cassette", unplayed),
        ("ERROR", "test_async_request_not_in_cassette", unplayed),
        # an error the test swallowed still fails it
        ("ERROR", "test_swallowed_mismatch", unplayed),
        ("PASSED", "test_swallowed_mismatch", ""),
        ("PASSED", "test_recorded_request", ""),
    }, output
