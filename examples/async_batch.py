"""Async and batching: many questions at once, at most a few requests in flight.

python examples/async_batch.py
"""

import asyncio
import time

from _backend import chat_model

from langchain_mashagpt import ChatMashaGPT, get_mashagpt_callback

QUESTIONS = [f"What is {a} * {b}?" for a, b in [(3, 4), (12, 7), (25, 4), (9, 9), (16, 16)]]
QUESTIONS += ["Hello!", "Привет!", "Tell me a joke about cats"]


async def main(model: ChatMashaGPT) -> None:
    print(f"== abatch: {len(QUESTIONS)} questions, max_concurrency=4")
    with get_mashagpt_callback() as cb:
        started = time.perf_counter()
        answers = await model.abatch(QUESTIONS, config={"max_concurrency": 4})
        elapsed = time.perf_counter() - started
    for question, answer in zip(QUESTIONS, answers, strict=True):
        print(f"   {question:<26} -> {answer.content}")
    print(f"   {elapsed:.2f} s; {cb.usage}")

    print("\n== abatch_as_completed: each answer as soon as it is ready")
    async for index, answer in model.abatch_as_completed(
        QUESTIONS[:3], config={"max_concurrency": 2}
    ):
        print(f"   #{index} {QUESTIONS[index]:<22} -> {answer.content}")

    print("\n== return_exceptions=True: one failure does not sink the batch")
    bad = model.bind(model="no-such-model")
    results = await bad.abatch(["Hello!"], return_exceptions=True)
    print(f"   {type(results[0]).__name__}: {str(results[0])[:90]}…")


with chat_model() as make_model:
    asyncio.run(main(make_model(temperature=0)))
