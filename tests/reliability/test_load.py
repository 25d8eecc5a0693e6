"""A small run of `benchmarks/load.py`: 100 concurrent streams through one model.

No timing is asserted (the machine may be busy); what is asserted is exactness:
every answer whole and its own, none lost or duplicated, no connection left busy,
traced memory flat from round to round. The full size runs by hand:
`python benchmarks/load.py --streams 1000`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from langchain_mashagpt.testing import MashaGPTEmulator
from tests.reliability.helpers import HAS_PROC_NET, open_server_sockets

_SCRIPT = Path(__file__).parents[2] / "benchmarks" / "load.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mashagpt_load", _SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mashagpt_load"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def test_100_concurrent_streams_and_a_retry_storm(
    mashagpt_emulator: MashaGPTEmulator,
) -> None:
    load = _load_script()
    rounds = await load.run(streams=100, storm=0.3, rounds=2, emu=mashagpt_emulator, trace=False)
    assert [r.name for r in rounds] == ["plain", "plain", "retry storm", "retry storm"]
    for r in rounds:
        assert r.errors == []
        assert (r.wrong, r.lost, r.duplicated_prompts, r.busy_connections) == (0, 0, 0, 0)
        assert r.requests_seen == r.streams + r.rate_limited  # one retry per 429, no more
        assert r.chunks >= r.streams
        assert r.pool_connections <= 100  # the pool keeps at most 100 idle ones
    # Memory kept by the last round of 100 streams: flat. tracemalloc triples the time,
    # so here the interpreter's count of allocated blocks is used (noise ~100 blocks;
    # keeping one small object per stream would add 300 or more).
    assert load.growth_blocks(rounds) < 500
    if HAS_PROC_NET:  # connections are reused: one per concurrent stream, not one per request
        assert open_server_sockets(mashagpt_emulator.port) <= 100 + 10
