"""Energy: totals and a per-model breakdown, then a budget that stops a runaway loop.

    python examples/energy_budget.py

MashaGPT bills in energy. `get_mashagpt_callback()` totals the tokens and energy of
every ChatMashaGPT call in its block; with `max_energy=` (or `max_tokens=`) it also
refuses the next call once the budget is spent, before its request is sent.
"""

import logging

from _backend import chat_model
from langchain_core.messages import HumanMessage

from langchain_mashagpt import BudgetExceededError, get_mashagpt_callback

# langchain-core logs a WARNING ("Error in MashaGPTCallbackHandler.on_chat_model_start
# callback: BudgetExceededError(...)") before the error propagates; we catch and print
# the error ourselves, so the log line is silenced here.
logging.getLogger("langchain_core.callbacks.manager").setLevel(logging.ERROR)

with chat_model() as make_model:
    mini = make_model(model="gpt-4o-mini", temperature=0)
    big = make_model(model="gpt-4o", temperature=0)

    print("== Totals of a block, per model")
    with get_mashagpt_callback() as cb:
        mini.invoke("What is 2 + 2?")
        mini.batch(["Hello!", "Привет!"])
        for _ in big.stream("Tell me a joke about cats"):  # a stream counts once
            pass
    print(cb)
    print(
        f"   cb.total_energy = {cb.total_energy}, cb.successful_requests = {cb.successful_requests}"
    )
    for name, usage in cb.by_model.items():
        print(f"   cb.by_model[{name!r}].total_energy = {usage.total_energy}")

    print("\n== A budget stops a runaway loop")
    history = [HumanMessage("Tell me a joke about programmers")]
    with get_mashagpt_callback(max_energy=1000) as budget:
        try:
            while True:  # a loop that never decides it is done
                answer = mini.invoke(history)
                history += [answer, HumanMessage("Another one, please.")]
                print(
                    f"   request {budget.successful_requests}: {budget.total_energy} energy so far"
                )
        except BudgetExceededError as exc:
            print(f"   stopped: {exc}")
    print(f"   spent {budget.total_energy} of max_energy={budget.max_energy}")
