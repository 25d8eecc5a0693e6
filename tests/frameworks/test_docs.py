"""Every program on `docs/agents.md` runs, against the emulator, and prints what it shows.

Each ```python block is a whole program a user would copy; the ```text block right
after it, when there is one, is its output. The programs read `MASHAGPT_API_KEY`
and `MASHAGPT_BASE_URL` from the environment, set here to the emulator's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from langchain_mashagpt.testing import MashaGPTEmulator

PAGE = Path(__file__).resolve().parents[2] / "docs" / "agents.md"
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def programs() -> list[tuple[int, str, str | None]]:
    """(line, code, expected output or None) for each Python block of the page."""
    text = PAGE.read_text(encoding="utf-8")
    blocks = [
        (text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2), m.end())
        for m in _FENCE.finditer(text)
    ]
    found = []
    for index, (line, language, code, end) in enumerate(blocks):
        if language != "python":
            continue
        output = None
        if index + 1 < len(blocks):
            _, next_language, next_code, _ = blocks[index + 1]
            between = text[end : text.index("```", end + 1)]
            if next_language == "text" and not between.strip():
                output = next_code
        found.append((line, code, output))
    return found


PROGRAMS = programs()


def test_the_page_has_programs_with_outputs() -> None:
    assert len(PROGRAMS) >= 7
    assert all(output for _, _, output in PROGRAMS)


@pytest.mark.parametrize(
    ("code", "output"),
    [(code, output) for _, code, output in PROGRAMS],
    ids=[f"agents.md:{line}" for line, _, _ in PROGRAMS],
)
def test_program_runs_and_prints_what_the_page_shows(
    mashagpt_emulator: MashaGPTEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: str,
    output: str | None,
) -> None:
    monkeypatch.setenv("MASHAGPT_API_KEY", mashagpt_emulator.api_key)
    monkeypatch.setenv("MASHAGPT_BASE_URL", mashagpt_emulator.base_url)

    exec(compile(code, str(PAGE), "exec"), {"__name__": "__main__"})

    assert mashagpt_emulator.requests, "the program sent nothing"
    if output is not None:
        assert capsys.readouterr().out == output
