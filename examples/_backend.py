"""The one switch shared by the examples: the real MashaGPT API, or the bundled emulator.

With `MASHAGPT_API_KEY` set, models talk to the real API (at `MASHAGPT_BASE_URL` when
that is set too). Without it, `MashaGPTEmulator` starts in-process on a free loopback
port, so every example runs offline with no key and no account.

    with chat_model() as make_model:
        model = make_model(temperature=0)  # a ChatMashaGPT for the chosen backend
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.chat_models import DEFAULT_BASE_URL
from langchain_mashagpt.testing import MashaGPTEmulator


@contextmanager
def chat_model(*, chunk_delay: float = 0.0) -> Iterator[Callable[..., ChatMashaGPT]]:
    """Yield a `ChatMashaGPT` factory for the real API or the emulator.

    `chunk_delay` (emulator only) spaces streamed chunks out, so streaming is visible.
    """
    if os.environ.get("MASHAGPT_API_KEY"):
        base_url = os.environ.get("MASHAGPT_BASE_URL", DEFAULT_BASE_URL)
        print(f"[backend] the MashaGPT API at {base_url}")
        yield ChatMashaGPT  # reads MASHAGPT_API_KEY and MASHAGPT_BASE_URL itself
        return
    with MashaGPTEmulator(chunk_delay=chunk_delay) as emulator:
        print(f"[backend] no MASHAGPT_API_KEY: the bundled emulator at {emulator.base_url}")
        factory: Callable[..., Any] = partial(
            ChatMashaGPT, base_url=emulator.base_url, api_key=emulator.api_key
        )
        yield factory
