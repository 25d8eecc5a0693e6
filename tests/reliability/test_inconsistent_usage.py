"""Usage whose parts disagree with its total is billed on the larger, over real sockets.

`total_energy: 1` next to prompt and completion energy adding up to 1,000 was trusted:
a `max_energy=500` budget let call after call through. The budget is charged the larger
of the total and the sum of the parts; the server's numbers stay as they came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from langchain_mashagpt import BudgetExceededError, ChatMashaGPT, get_mashagpt_callback
from langchain_mashagpt.callbacks import EnergyUsage
from tests.helpers import Runner
from tests.reliability.hostile import DONE, Connection, Handler, Hostile, chunk, completion, event
from tests.reliability.test_billing import message

Start = Callable[[Handler], Hostile]
LYING = {
    "prompt_tokens": 300,
    "completion_tokens": 200,
    "total_tokens": 5,
    "prompt_energy": 400,
    "completion_energy": 600,
    "total_energy": 1,
}


def with_usage(usage: dict[str, Any]) -> Handler:
    def handle(conn: Connection) -> None:
        if conn.payload.get("stream"):
            last = {**chunk(), "choices": [], "usage": usage}
            conn.stream([event(chunk("Hi")), event(last), DONE])
            conn.end_chunks()
        else:
            conn.reply(200, completion("Hi", usage=usage))

    return handle


def model_on(server: Hostile) -> ChatMashaGPT:
    return ChatMashaGPT(api_key="sk-hostile-test", base_url=server.base_url, max_retries=0)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize(
    ("limit", "unit"), [({"max_energy": 500}, "energy"), ({"max_tokens": 100}, "tokens")]
)
async def test_the_budget_is_charged_the_larger_of_total_and_parts(
    run: Runner, hostile: Start, mode: str, limit: dict[str, int], unit: str
) -> None:
    server = hostile(with_usage(LYING))
    model = model_on(server)
    with get_mashagpt_callback(**limit) as cb:
        first = await message(run, model, mode)
        with pytest.raises(BudgetExceededError) as info:
            await message(run, model, mode)
    assert len(server.requests) == 1  # the second call was not sent
    assert (info.value.unit, info.value.spent) == (unit, 1000 if unit == "energy" else 500)
    # The server's numbers, as they came, on the message and in the totals.
    assert first.response_metadata["token_usage"]["total_energy"] == 1
    assert first.usage_metadata is not None
    assert first.usage_metadata["total_tokens"] == 5
    assert (cb.total_energy, cb.total_tokens) == (1, 5)
    # What was billed, and the difference, beside them.
    assert (cb.billed_energy, cb.billed_tokens) == (1000, 500)
    assert (cb.usage.unreported_energy, cb.usage.unreported_tokens) == (999, 495)
    assert "billed 1000" in str(cb.usage)
    assert "Billed: 500 tokens, 1000 energy" in str(cb)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_a_total_above_its_parts_is_billed_as_the_total(
    run: Runner, hostile: Start, mode: str
) -> None:
    usage = {**LYING, "total_tokens": 600, "total_energy": 1200}  # e.g. a fee not itemised
    with get_mashagpt_callback(max_energy=1100) as cb:
        await message(run, model_on(hostile(with_usage(usage))), mode)
    assert cb.usage == EnergyUsage(300, 200, 600, 400, 600, 1200, 1)
    assert (cb.billed_energy, cb.usage.unreported_energy) == (1200, 0)
    with pytest.raises(BudgetExceededError):
        cb.check_budget()
