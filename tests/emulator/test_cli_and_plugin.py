"""The command line (as a subprocess) and the pytest plugin."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator, main
from langchain_mashagpt.testing.pytest_plugin import (  # registers the fixtures in this module
    mashagpt_emulator,  # noqa: F401
    mashagpt_emulator_session,  # noqa: F401
)
from tests.emulator.helpers import Api

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "error"}


def test_cli_serves_until_terminated() -> None:
    command = [
        sys.executable,
        "-m",
        "langchain_mashagpt.testing",
        "--port",
        "0",
        "--api-key",
        "cli-key",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("MashaGPT emulator listening on http://127.0.0.1:"), first
            base_url = first.split()[-1]
            assert process.stdout.readline().strip() == "API key: cli-key"
            payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}
            request = urllib.request.Request(
                base_url + "/chat/completions",
                data=json.dumps(payload).encode(),
                headers={"Authorization": "Bearer cli-key", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                data = json.load(answer)
            assert data["choices"][0]["message"]["content"] == "Hello! How can I help you today?"
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "MashaGPT emulator stopped." in out
    assert err == ""


def test_main_reports_a_busy_port(
    server: MashaGPTEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--port", str(server.port)]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_main_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--api-key" in capsys.readouterr().out


def test_fixture_gives_a_clean_running_emulator(mashagpt_emulator: MashaGPTEmulator) -> None:  # noqa: F811
    assert mashagpt_emulator.requests == []
    assert mashagpt_emulator.pending_replies == 0
    assert Api(mashagpt_emulator).post().status == 200


def test_plugin_under_pytest_socket(tmp_path: Path) -> None:
    """A user's test suite with `--disable-socket` can use the fixture as is."""
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent("""
        import json, urllib.request
        from langchain_mashagpt.testing import Reply

        def test_it(mashagpt_emulator):
            mashagpt_emulator.enqueue(Reply.text("scripted"))
            request = urllib.request.Request(
                mashagpt_emulator.base_url + "/chat/completions",
                data=json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode(),
                headers={"Authorization": "Bearer " + mashagpt_emulator.api_key,
                         "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert json.load(answer)["choices"][0]["message"]["content"] == "scripted"
            assert len(mashagpt_emulator.requests) == 1

        def test_reset_between_tests(mashagpt_emulator):
            assert mashagpt_emulator.requests == []
    """)
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # Only the two plugins at play (fast, and no double registration with our entry point).
    plugins = ["-p", "pytest_socket", "-p", "langchain_mashagpt.testing.pytest_plugin"]
    command = [
        sys.executable, "-m", "pytest", "-q", *plugins,
        "--disable-socket", "--allow-unix-socket", "-W", "error", str(tmp_path),
    ]  # fmt: skip
    env = {**_env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
