"""Streaming: tokens as they arrive, sync and async, with usage on the last chunk.

python examples/streaming.py
"""

import asyncio

from _backend import chat_model
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_mashagpt import ChatMashaGPT


def stream_sync(model: ChatMashaGPT) -> None:
    print("== model.stream(): text chunks as they arrive, separated by |")
    total, count = None, 0
    for chunk in model.stream("Tell me a joke about cats"):
        if chunk.text:
            print(chunk.text, end="|", flush=True)
        total = chunk if total is None else total + chunk  # chunks add up to one message
        count += 1
    print()
    if total is not None:
        print(f"   chunks:        {count} (usage and finish_reason come on the last ones)")
        print(f"   whole text:    {total.text}")
        print(f"   finish_reason: {total.response_metadata.get('finish_reason')}")
        print(f"   usage:         {total.usage_metadata}")
        print(f"   energy:        {total.response_metadata.get('token_usage', {})}")


async def stream_chain(model: ChatMashaGPT) -> None:
    print("\n== chain.astream(): a chain streams too, here as plain strings")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer in Russian."), ("human", "{greeting}")]
    )
    chain = prompt | model | StrOutputParser()
    print("   ", end="")
    async for text in chain.astream({"greeting": "Привет!"}):
        print(text, end="", flush=True)
    print()


with chat_model(chunk_delay=0.02) as make_model:
    model = make_model(temperature=0)
    stream_sync(model)
    asyncio.run(stream_chain(model))
