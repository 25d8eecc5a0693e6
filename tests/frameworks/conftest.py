"""Fixtures of the framework tests: the emulator, a model on it, and the four modes."""

from __future__ import annotations

import pytest

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator
from tests.frameworks.helpers import MODES, Mode


@pytest.fixture
def emu(mashagpt_emulator: MashaGPTEmulator) -> MashaGPTEmulator:
    return mashagpt_emulator


@pytest.fixture
def model(emu: MashaGPTEmulator) -> ChatMashaGPT:
    """A model on the emulator; no retry, so a failed request is seen once."""
    return ChatMashaGPT(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    return Mode(request.param)
