"""Offline token counting: speed, and error against the emulator's and tiktoken's counts.

    .venv/bin/python benchmarks/tokens.py [--rounds 200]

Speed: `get_num_tokens_from_messages` on a 100-message history with two tools,
and `trim_messages(token_counter=model)` on it, median over rounds.
Error: the same histories are sent to the bundled emulator, whose `prompt_tokens`
is the reference; where tiktoken's encodings are already cached, its exact count
(what `ChatMashaGPT` uses for OpenAI models then) is compared too. Nothing is
downloaded: without the cache, the tiktoken rows say so.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.tools import tool

from langchain_mashagpt import ChatMashaGPT, _tokens
from langchain_mashagpt.testing import MashaGPTEmulator, Reply

RU = (
    "Сегодня в Москве солнечно, ветер северный, вечером возможен дождь. Расскажи, "
    "пожалуйста, что надеть на прогулку и стоит ли брать зонт, если я выйду после шести?"
)
EN = (
    "The quarterly report shows revenue up 12% year over year, driven by subscriptions; "
    "summarise the risks in three bullet points and suggest one follow-up question."
)
CODE = 'def area(r: float) -> float:\n    return 3.14159 * r ** 2  # {"unit": "m2"}\n'


@tool
def get_weather(city: str, unit: str = "celsius") -> str:
    """Текущая погода в городе (температура, ветер, осадки)."""
    return city


@tool
def search_docs(query: str, limit: int = 5) -> list[str]:
    """Search the internal documentation and return matching passages."""
    return [query][:limit]


TOOLS: list[Any] = [get_weather, search_docs]
MODEL = "claude-3-5-sonnet"  # counted by the estimate whatever is cached


def history(kind: str, size: int = 100, seed: int = 7) -> list[BaseMessage]:
    """`size` messages of `kind` text (ru, en, mixed), tool calls every fifth turn."""
    rng = random.Random(seed)
    texts = {"ru": [RU], "en": [EN], "mixed": [RU, EN, CODE]}[kind]
    messages: list[BaseMessage] = [SystemMessage("Отвечай кратко и по делу. Be concise.")]
    turn = 0
    while len(messages) < size:
        turn += 1
        text = rng.choice(texts)
        cut = text[: rng.randint(len(text) // 2, len(text))]
        messages.append(HumanMessage(cut))
        if turn % 5 == 0 and len(messages) + 2 < size:
            call_id = f"call_{turn}"
            args = {"city": "Москва", "unit": "celsius"} if turn % 2 else {"query": cut[:40]}
            name = "get_weather" if turn % 2 else "search_docs"
            call = {"name": name, "args": args, "id": call_id, "type": "tool_call"}
            messages.append(AIMessage("", tool_calls=[call]))
            messages.append(ToolMessage(rng.choice(texts)[:120], tool_call_id=call_id))
        if len(messages) < size:
            messages.append(AIMessage(rng.choice(texts)[: rng.randint(40, 160)]))
    return messages[:size]


def per_message_us(model: ChatMashaGPT, messages: list[BaseMessage], rounds: int) -> float:
    model.get_num_tokens_from_messages(messages, tools=TOOLS)  # warm-up (schemas, regexes)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        model.get_num_tokens_from_messages(messages, tools=TOOLS)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / len(messages) * 1e6


def trim_ms(model: ChatMashaGPT, messages: list[BaseMessage], rounds: int) -> float:
    times = []
    for _ in range(max(rounds // 10, 5)):
        start = time.perf_counter()
        trim_messages(messages, max_tokens=2_000, token_counter=model, strategy="last")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def emulator_count(emu: MashaGPTEmulator, messages: list[BaseMessage], tools: list[Any]) -> int:
    """The emulator's `prompt_tokens` for `messages` sent with `tools`."""
    chat = ChatMashaGPT(model=MODEL, base_url=emu.base_url, api_key=emu.api_key)
    emu.enqueue(Reply.text("ok"))
    answer = (chat.bind_tools(tools) if tools else chat).invoke(messages)
    assert isinstance(answer, AIMessage)
    assert answer.usage_metadata is not None
    return answer.usage_metadata["input_tokens"]


def error(count: int, reference: int) -> str:
    return f"{(count - reference) / reference:+.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    exact = _tokens.counter_for("gpt-4o-mini").exact
    print(f"Python {sys.version.split()[0]}; tiktoken cache for o200k_base: {exact}")
    print()
    print("| history (100 messages, 2 tools) | model | counter | µs per message | trim_messages |")
    print("|---|---|---|---|---|")
    for kind in ("ru", "en", "mixed"):
        messages = history(kind)
        for name in ("gpt-4o-mini", "claude-3-5-sonnet"):
            model = ChatMashaGPT(model=name, api_key="unused")
            counter = "tiktoken" if _tokens.counter_for(name).exact else "approximate"
            speed = per_message_us(model, messages, args.rounds)
            trim = trim_ms(model, messages, args.rounds)
            print(f"| {kind} | {name} | {counter} | {speed:.1f} | {trim:.2f} ms |")

    print()
    print("| history | tools | emulator `prompt_tokens` | ChatMashaGPT | error | tiktoken o200k |")
    print("|---|---|---|---|---|---|")
    with MashaGPTEmulator() as emu:
        for kind in ("ru", "en", "mixed"):
            for tools in ([], TOOLS):
                messages = history(kind)
                reference = emulator_count(emu, messages, tools)
                ours = ChatMashaGPT(model=MODEL, api_key="unused").get_num_tokens_from_messages(
                    messages, tools or None
                )
                gpt = ChatMashaGPT(model="gpt-4o", api_key="unused")
                if _tokens.counter_for("gpt-4o").exact:
                    exact_count = gpt.get_num_tokens_from_messages(messages, tools or None)
                    tiktoken_cell = f"{exact_count} (ours {error(ours, exact_count)})"
                else:
                    tiktoken_cell = "not cached here (never downloaded)"
                print(
                    f"| {kind} | {'yes' if tools else 'no'} | {reference} | {ours} "
                    f"| {error(ours, reference)} | {tiktoken_cell} |"
                )


if __name__ == "__main__":
    main()
