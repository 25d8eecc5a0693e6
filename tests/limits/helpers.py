"""What the shared-limits tests build: models on the emulator, budgets on the test Redis."""

from __future__ import annotations

from typing import Any

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator

MAX_TOKENS = 20


def model_for(emu: MashaGPTEmulator, **kwargs: Any) -> ChatMashaGPT:
    options: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "base_url": emu.base_url,
        "api_key": emu.api_key,
        "max_tokens": MAX_TOKENS,
        "retry_backoff": 0,
        **kwargs,
    }
    return ChatMashaGPT(**options)


def energy_of(message: Any) -> int:
    return int(message.response_metadata["token_usage"]["total_energy"])
