"""Several tool calls in one answer (`parallel_tool_calls=True`), and what it saves.

    python examples/parallel_tools.py

The MashaGPT API returns at most one function call per answer. With
`parallel_tool_calls=True`, `ChatMashaGPT` also offers one batch function; a call
of it comes back as several ordinary `tool_calls`. An agent that needs the
weather in three cities then makes one round trip for the calls instead of three.

The batch function costs tokens of its own (its definition in every request, its
JSON in the answer); it pays off once the prompt each saved request would re-send
(system prompt, tools, history) is larger, as in the agent below. See
`docs/parallel-tools.md` and `benchmarks/parallel.py`.
"""

from _backend import chat_model
from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_mashagpt import get_mashagpt_callback

QUESTION = "What is the weather in Moscow, Paris and Berlin?"
SYSTEM_PROMPT = (
    "You are the travel assistant of a small tour operator. Answer briefly and politely, "
    "in the language of the question. Use the tools for every fact about weather, time or "
    "money: never guess them. When a question needs several independent facts, ask for "
    "all of them at once. Do not book or pay anything."
)


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C and cloudy in {city}"


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"12:00 in {city}"


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert money between currencies, given as ISO codes such as USD or RUB."""
    return f"{amount:g} {from_currency} = {amount * 80:.2f} {to_currency}"


TOOLS = [get_weather, get_time, convert_currency]


with chat_model() as make_model:
    # 1. One answer, three tool calls, each with its own id.
    model = make_model(temperature=0).bind_tools(TOOLS, parallel_tool_calls=True)
    answer = model.invoke(QUESTION)
    print(f"one answer, {len(answer.tool_calls)} tool calls:")
    for call in answer.tool_calls:
        print(f"   {call['name']}({call['args']})  id={call['id'][:9]}…")

    # 2. Streamed, the calls arrive as chunks with distinct indexes; merged, the same calls.
    merged = None
    for chunk in model.stream(QUESTION):
        merged = chunk if merged is None else merged + chunk
    print("streamed and merged:", [call["args"] for call in merged.tool_calls])

    # 3. The same agent task, without and with parallel calls.
    spent = {}
    for parallel in (False, True):
        agent = create_agent(
            make_model(temperature=0, parallel_tool_calls=parallel),
            TOOLS,
            system_prompt=SYSTEM_PROMPT,
        )
        with get_mashagpt_callback() as cb:
            state = agent.invoke({"messages": [("user", QUESTION)]})
        print(f"\nparallel_tool_calls={parallel}: {state['messages'][-1].content}")
        print(f"   spent: {cb.usage}")
        spent[parallel] = cb.usage
    saved = spent[False].total_energy - spent[True].total_energy
    fewer = spent[False].successful_requests - spent[True].successful_requests
    print(f"\nparallel calls saved {fewer} request(s) and {saved} energy")
