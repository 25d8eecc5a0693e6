"""Fixtures of the conformance-check tests: emulators (strict or deviating) and `check`.

These tests talk to the bundled emulator on 127.0.0.1 only (see `tests/conftest.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from langchain_mashagpt.check import Outcome, Step, run_check, steps
from langchain_mashagpt.testing import MashaGPTEmulator

KEY_LIKE_SECRET = "sk-live-4f9c2a7e1b3d5f6a8c0e2b4d6f8a1c3e"
"""Shaped like a real key, so a leak of it would be noticed."""


@dataclass
class CheckRun:
    """One run of the check: its outcomes and the lines it printed."""

    outcomes: list[Outcome]
    lines: list[str] = field(default_factory=list)

    def by_step(self) -> dict[str, Outcome]:
        return {outcome.step.name: outcome for outcome in self.outcomes}

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


Checker = Callable[..., CheckRun]
"""The `check` fixture: runs the conformance check, returns what it found."""


@pytest.fixture
def emu() -> Iterator[MashaGPTEmulator]:
    with MashaGPTEmulator(api_key=KEY_LIKE_SECRET) as emulator:
        yield emulator


@pytest.fixture
def check(emu: MashaGPTEmulator) -> Checker:
    """Run the check against `emu` (or `target=` another emulator), keeping its lines."""

    def runner(
        *,
        target: MashaGPTEmulator | None = None,
        script: Sequence[Step] | None = None,
        api_key: str | None = None,
        models: Sequence[str] = ("gpt-4o-mini",),
    ) -> CheckRun:
        server = target or emu
        lines: list[str] = []
        outcomes = run_check(
            base_url=server.base_url,
            api_key=server.api_key if api_key is None else api_key,
            models=models,
            steps=steps() if script is None else script,
            emit=lines.append,
        )
        return CheckRun(outcomes, lines)

    return runner
