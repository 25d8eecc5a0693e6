"""A local MashaGPT API emulator, for offline tests and demos (standard library only).

```python
from langchain_mashagpt.testing import MashaGPTEmulator, Reply

with MashaGPTEmulator() as emu:          # http://127.0.0.1:<free port>/v1
    emu.enqueue(Reply.text("Scripted answer"))
    ...                                  # use emu.base_url and emu.api_key
```

It speaks the API strictly (legacy `functions`/`function_call` only; any other
field is a 400), answers with a deterministic rule-based model, streams SSE,
bills tokens and energy, records requests and plays scripted replies and
faults. Run it standalone with `python -m langchain_mashagpt.testing`; with
pytest, use the `mashagpt_emulator` fixture.
"""

from langchain_mashagpt.testing._cli import main
from langchain_mashagpt.testing._deviations import Deviations
from langchain_mashagpt.testing._emulator import DEFAULT_API_KEY, MashaGPTEmulator
from langchain_mashagpt.testing._script import Reply
from langchain_mashagpt.testing._state import RecordedRequest
from langchain_mashagpt.testing._usage import (
    DEFAULT_ENERGY_RATE,
    ENERGY_RATES,
    KNOWN_MODELS,
    count_tokens,
)
from langchain_mashagpt.testing._vcr import vcr_config

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_ENERGY_RATE",
    "ENERGY_RATES",
    "KNOWN_MODELS",
    "Deviations",
    "MashaGPTEmulator",
    "RecordedRequest",
    "Reply",
    "count_tokens",
    "main",
    "vcr_config",
]
