"""Quick start: a prompt-template chain, a streamed chain with a tool call, and what each cost.

    python examples/quickstart.py      # or: make demo

No key needed: without MASHAGPT_API_KEY the bundled emulator answers (see _backend.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from _backend import chat_model
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.tools import tool

from langchain_mashagpt import get_mashagpt_callback


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C and cloudy in {city}"  # stands in for a real weather service


@contextmanager
def step(title: str) -> Iterator[None]:
    """Print a heading, then the tokens and energy spent inside the block."""
    print(f"\n== {title}")
    with get_mashagpt_callback() as cb:
        yield
    print(f"   spent: {cb.usage}")


with chat_model(chunk_delay=0.02) as make_model, get_mashagpt_callback() as total:
    model = make_model(model="gpt-4o-mini", temperature=0)

    with step("1. A prompt-template chain"):
        prompt = ChatPromptTemplate.from_messages(
            [
                ("system", "You are a calculator. Answer with the expression and its result."),
                ("human", "What is {a} * {b}?"),
            ]
        )
        chain = prompt | model
        answer = chain.invoke({"a": 12, "b": 7})
        print(f"   {answer.content}")

    with step("2. A chain with a tool call, streamed, answered through the function round trip"):
        agent_prompt = ChatPromptTemplate.from_messages(
            [("system", "Use the tools when they help."), MessagesPlaceholder("messages")]
        )
        chain = agent_prompt | model.bind_tools([get_weather])
        messages: list[BaseMessage] = [HumanMessage("What is the weather in Moscow?")]
        request = None
        for chunk in chain.stream({"messages": messages}):  # the model asks for the tool
            request = chunk if request is None else request + chunk
        assert isinstance(request, AIMessageChunk)
        messages.append(request)
        for call in request.tool_calls:
            print(f"   model calls  {call['name']}({call['args']})")
            result = get_weather.invoke(call)  # run it: a ToolMessage for this call
            print(f"   tool returns {result.content!r}")
            messages.append(result)
        print("   answer: ", end="")
        for chunk in chain.stream({"messages": messages}):  # the answer, using the result
            print(chunk.text, end="", flush=True)
        print()

    with step("3. A streamed answer, printed as it arrives"):
        print("   ", end="")
        streamed = None
        for chunk in model.stream("Tell me a joke about programmers"):
            print(chunk.text, end="", flush=True)
            streamed = chunk if streamed is None else streamed + chunk
        print()
        if streamed is not None:
            usage = streamed.usage_metadata or {}
            energy = streamed.response_metadata.get("token_usage", {}).get("total_energy")
            print(f"   (on the last chunk: {usage.get('total_tokens')} tokens, {energy} energy)")

print(f"\n== In all\n{total}")
