"""An agent with two tools (langchain `create_agent`), streamed step by step.

    python examples/agent.py

The model sees the tools as the API's `functions`; the agent loop (model -> tool ->
model) is ordinary LangChain. A checkpointer keeps the conversation, so the second
question is asked with the first one's calls and results in the history.
"""

from _backend import chat_model
from langchain.agents import create_agent
from langchain_core.messages import AIMessageChunk
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from langchain_mashagpt import get_mashagpt_callback

RUB_PER = {"USD": 80.0, "EUR": 92.0, "CNY": 11.0}  # stand-in rates


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"+5 °C and cloudy in {city}"


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert money between currencies, given as ISO codes such as USD or RUB."""
    rub = amount * RUB_PER.get(from_currency.upper(), 1.0)
    result = rub / RUB_PER.get(to_currency.upper(), 1.0)
    return f"{amount:g} {from_currency} = {result:.2f} {to_currency}"


def ask(agent, question: str, config: dict) -> None:
    print(f"\n== user: {question}")
    with get_mashagpt_callback() as cb:
        streaming_text = False
        for mode, data in agent.stream(
            {"messages": [("user", question)]}, config, stream_mode=["messages", "updates"]
        ):
            if mode == "messages":  # tokens of the model's text, as they arrive
                chunk, _ = data
                if isinstance(chunk, AIMessageChunk) and chunk.text:
                    if not streaming_text:
                        print("   model:", end=" ")
                        streaming_text = True
                    print(chunk.text, end="", flush=True)
                continue
            if streaming_text:  # a finished step ends the text streamed before it
                print()
                streaming_text = False
            for node, update in data.items():  # a finished step: a call or a result
                for message in update["messages"]:
                    if node == "model":
                        for call in message.tool_calls:
                            print(f"   model calls {call['name']}({call['args']})")
                    elif node == "tools":
                        print(f"   {message.name} -> {message.content}")
    print(f"   ({cb.usage})")


with chat_model() as make_model:
    agent = create_agent(
        make_model(temperature=0),
        tools=[get_weather, convert_currency],
        system_prompt="You are a helpful travel assistant. Use the tools.",
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "trip-1"}}
    ask(agent, "What is the weather in Moscow?", config)
    ask(agent, "Convert 100 USD to RUB, please.", config)
