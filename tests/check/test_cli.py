"""`mashagpt-check` / `python -m langchain_mashagpt.check`: the command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_mashagpt.check import main, steps
from langchain_mashagpt.testing import Deviations, MashaGPTEmulator
from tests.check.conftest import KEY_LIKE_SECRET

ROOT = Path(__file__).parents[2]


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASHAGPT_API_KEY", raising=False)
    monkeypatch.delenv("MASHAGPT_BASE_URL", raising=False)


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, emu: MashaGPTEmulator) -> MashaGPTEmulator:
    """The emulator stands in for the live API: the key and base URL point at it."""
    monkeypatch.setenv("MASHAGPT_API_KEY", KEY_LIKE_SECRET)
    monkeypatch.setenv("MASHAGPT_BASE_URL", emu.base_url)
    return emu


def _never_asked(prompt: str) -> str:
    raise AssertionError("asked although --yes was given or no terminal was there")


@pytest.mark.usefixtures("no_key")
def test_without_a_key_the_bundled_emulator_passes_cleanly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([], ask=_never_asked)

    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("No MASHAGPT_API_KEY: checking the bundled emulator")
    step_lines = lines[1:-1]
    assert len(step_lines) == len(steps())
    assert all(line.startswith("ok ") for line in step_lines), out
    assert lines[-1].startswith(f"Total: {len(steps())} ok, 0 differs, 0 failed; energy spent ")


@pytest.mark.usefixtures("no_key")
def test_expensive_is_skipped_against_the_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--expensive"]) == 0
    out = capsys.readouterr().out
    assert "--expensive is skipped: the emulator has no context window." in out
    assert "too-long prompt" not in out


def test_live_asks_before_spending_and_refuses_without_a_terminal(
    live: MashaGPTEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([], ask=_never_asked, interactive=lambda: False)

    captured = capsys.readouterr()
    assert code == 2
    assert f"Checking {live.base_url}." in captured.out
    assert f"This run sends {len(steps())} requests to gpt-4o-mini" in captured.out
    assert "pass --yes to run" in captured.err
    assert live.requests == []  # nothing was sent


@pytest.mark.parametrize("reply", ["n", "", EOFError])
def test_live_sends_nothing_unless_told_yes(
    live: MashaGPTEmulator, capsys: pytest.CaptureFixture[str], reply: object
) -> None:
    def ask(prompt: str) -> str:
        assert prompt == "Go on? [y/N] "
        if reply is EOFError:
            raise EOFError
        return str(reply)

    assert main([], ask=ask, interactive=lambda: True) == 2
    assert "Nothing was sent." in capsys.readouterr().out
    assert live.requests == []


def test_live_runs_once_confirmed(
    live: MashaGPTEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--model", "gpt-4o"], ask=lambda _: "y", interactive=lambda: True) == 0
    assert {r.body["model"] for r in live.requests} == {"gpt-4o"}
    assert KEY_LIKE_SECRET not in capsys.readouterr().out


def test_record_saves_cassettes_without_the_key_and_replay_reads_them(
    live: MashaGPTEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--yes", "--record", str(tmp_path)]) == 0
    recorded = capsys.readouterr()
    sent = len(live.requests)

    cassettes = sorted(tmp_path.glob("gpt-4o-mini/*.yaml"))
    assert {c.stem for c in cassettes} == {s.name for s in steps()}
    for cassette in cassettes:
        text = cassette.read_text(encoding="utf-8")
        assert KEY_LIKE_SECRET not in text
        assert "REDACTED" in text
    assert KEY_LIKE_SECRET not in recorded.out + recorded.err
    assert f"Cassettes saved in {tmp_path}" in recorded.out

    assert main(["--replay", str(tmp_path)]) == 0
    replayed = capsys.readouterr().out
    assert "Replaying the cassettes" in replayed
    assert f"Total: {len(steps())} ok, 0 differs, 0 failed" in replayed
    assert len(live.requests) == sent  # replay sends nothing


def test_replay_of_a_missing_exchange_fails_its_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--replay", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("failed ")
    assert "the check could not run: CannotOverwriteExistingCassetteException" in out


def test_record_without_vcrpy_says_how_to_install_it(
    live: MashaGPTEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "vcr", None)

    assert main(["--yes", "--record", str(tmp_path)]) == 2
    assert "pip install vcrpy" in capsys.readouterr().err
    assert live.requests == []


def test_a_deviating_service_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    with MashaGPTEmulator(deviations=Deviations(detail_error_body=True)) as deviating:
        monkeypatch.setenv("MASHAGPT_API_KEY", deviating.api_key)
        assert main(["--yes", "--base-url", deviating.base_url]) == 1


def test_the_module_and_the_console_script_run_the_check() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASHAGPT_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "langchain_mashagpt.check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ", 0 differs, 0 failed;" in done.stdout

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'mashagpt-check = "langchain_mashagpt.check:main"' in pyproject


def test_without_any_standard_input_it_refuses(
    live: MashaGPTEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", None)

    assert main([], ask=_never_asked) == 2
    assert "pass --yes to run" in capsys.readouterr().err
    assert live.requests == []


def test_a_replay_shows_the_same_lines_the_recording_showed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deviations = Deviations(usage_on_finish_chunk=True, tool_calls_stream=True)
    with MashaGPTEmulator(deviations=deviations) as deviating:
        monkeypatch.setenv("MASHAGPT_API_KEY", deviating.api_key)
        assert main(["--yes", "--base-url", deviating.base_url, "--record", str(tmp_path)]) == 1
    recorded = capsys.readouterr().out.splitlines()

    assert main(["--replay", str(tmp_path)]) == 1
    replayed = capsys.readouterr().out.splitlines()

    def steps_of(lines: list[str]) -> list[str]:
        return [line for line in lines if line.startswith(("ok ", "differs ", "failed "))]

    assert steps_of(replayed) == steps_of(recorded)
    assert sum(line.startswith("differs ") for line in steps_of(replayed)) == 2
