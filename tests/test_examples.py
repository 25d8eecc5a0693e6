"""Every example runs keyless, as a newcomer would run it, so none can rot.

Each example runs in its own process (`python examples/NAME.py`) with no
`MASHAGPT_API_KEY`, so it starts the bundled emulator on loopback; the cassette
example runs through pytest in replay mode. The subprocesses start together and
are awaited per test, so the whole file takes about as long as the slowest one.
pytest-socket in this process does not reach the subprocesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIMEOUT = 150  # all examples start at once; a shared 2-core machine can be slow

# example -> lines its output must contain (answers of the emulator's rule-based model)
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "bundled emulator",
        "12 * 7 = 84.",
        "model calls  get_weather({'city': 'Moscow'})",
        "answer: The result of get_weather is +5 °C and cloudy in Moscow.",
        "Why do programmers never get lost? They always follow the script!",
        "spent: 2 request(s)",
        "MashaGPT usage: 4 successful request(s)",
    ],
    "streaming.py": [
        "Why |was |the |cat |sitting |on |the |computer? |",
        "finish_reason: stop",
        "'total_energy'",
        "Привет! Чем могу помочь?",
    ],
    "async_batch.py": [
        "max_concurrency=4",
        "16 * 16 = 256.",
        "8 request(s)",
        "NotFoundError",
    ],
    "agent.py": [
        "model calls get_weather({'city': 'Moscow'})",
        "get_weather -> +5 °C and cloudy in Moscow",
        "convert_currency -> 100 USD = 8000.00 RUB",
        "model: The result of convert_currency is 100 USD = 8000.00 RUB.",
    ],
    "structured_output.py": [
        "Contact(name='Ivan Petrov', city='Kazan', age=34)",
        "{'city': 'Sochi', 'nights': 3, 'guests': 2}",
        "parsing_error: None",
        "'punchline': 'To keep an eye on the mouse!'",
    ],
    "energy_budget.py": [
        "gpt-4o: 1 request(s)",
        "gpt-4o-mini: 3 request(s)",
        "stopped: MashaGPT energy budget spent",
        "of max_energy=1000",
    ],
    "parallel_tools.py": [
        "one answer, 3 tool calls:",
        "get_weather({'city': 'Moscow'})",
        "get_weather({'city': 'Berlin'})",
        "streamed and merged: [{'city': 'Moscow'}, {'city': 'Paris'}, {'city': 'Berlin'}]",
        "parallel_tool_calls=True: The result of get_weather is +5 °C and cloudy in Moscow. "
        "The result of get_weather is +5 °C and cloudy in Paris. "
        "The result of get_weather is +5 °C and cloudy in Berlin.",
        "   spent: 4 request(s), 1486 tokens (1414 prompt + 72 completion), 1702 energy",
        "   spent: 2 request(s), 1151 tokens (1029 prompt + 122 completion), 1517 energy",
        "parallel calls saved 2 request(s) and 185 energy",
    ],
    "many_workers.py": [  # needs redis-server on PATH (.ci/run installs it)
        "estimate of one call before any answer: ",  # the figures depend on tiktoken's cache
        "estimate after one answer: ",
        "4 workers stopped by the shared budget:",
        "spent within the limit: True; calls in flight: 0",
    ],
}
CASSETTE_TEST = "test_cassette_example.py"


def keyless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASHAGPT_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def commands() -> dict[str, list[str]]:
    runs = {name: [sys.executable, str(EXAMPLES / name)] for name in EXPECTED}
    runs[CASSETTE_TEST] = [
        sys.executable,
        "-m",
        "pytest",
        str(EXAMPLES / CASSETTE_TEST),
        "--record-mode=none",
        "-q",
        # plugins the cassette test does not use, and which take seconds to import
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:langsmith_plugin",
    ]
    return runs


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Start every example at once; kill whatever is left at the end."""
    started = {
        name: subprocess.Popen(
            command,
            cwd=ROOT,
            env=keyless_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for name, command in commands().items()
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"timed out after {TIMEOUT} s:\n{stdout}\n{stderr}")
    return process.returncode, stdout, stderr


def test_every_example_is_covered() -> None:
    on_disk = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert on_disk == {*EXPECTED, CASSETTE_TEST}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_example_runs_keyless(name: str, runs: dict[str, subprocess.Popen[str]]) -> None:
    code, stdout, stderr = finish(runs[name])
    assert code == 0, f"{name} exited {code}:\n{stdout}\n{stderr}"
    missing = [line for line in EXPECTED[name] if line not in stdout]
    assert not missing, f"{name} did not print {missing}:\n{stdout}\n{stderr}"


def test_cassette_example_replays_offline(runs: dict[str, subprocess.Popen[str]]) -> None:
    code, stdout, stderr = finish(runs[CASSETTE_TEST])
    assert code == 0, f"the cassette example failed:\n{stdout}\n{stderr}"
    assert "3 passed" in stdout, stdout
