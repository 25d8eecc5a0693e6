"""Structured output: answers as pydantic objects or dicts, over a forced function call.

python examples/structured_output.py
"""

from typing import Annotated

from _backend import chat_model
from pydantic import BaseModel, Field
from typing_extensions import TypedDict


class Contact(BaseModel):
    """A person's contact details."""

    name: str = Field(description="Full name")
    city: str = Field(description="Where the person lives")
    age: int


class Booking(TypedDict):
    """A hotel booking request."""

    city: Annotated[str, ..., "The city"]
    nights: Annotated[int, ..., "How many nights"]
    guests: Annotated[int, ..., "How many guests"]


with chat_model() as make_model:
    model = make_model(temperature=0)

    print("== a pydantic model (method='function_calling', the default)")
    extract = model.with_structured_output(Contact)
    for note in [
        "Yesterday I met Ivan Petrov from Kazan, he is 34.",
        "My colleague Anna Smirnova, 29, moved to Saint Petersburg.",
    ]:
        contact = extract.invoke(note)
        print(f"   {note}\n     -> {contact!r}")

    print("\n== a TypedDict gives a dict")
    booking = model.with_structured_output(Booking).invoke(
        "Book a room in Sochi for 3 nights, 2 guests."
    )
    print(f"   {booking}")

    print("\n== include_raw=True: the parsed object and the AIMessage, with its energy")
    result = model.with_structured_output(Contact, include_raw=True).invoke(
        "Yesterday I met Ivan Petrov from Kazan, he is 34."
    )
    energy = result["raw"].response_metadata["token_usage"]["total_energy"]
    print(f"   parsed: {result['parsed']!r}")
    print(f"   parsing_error: {result['parsing_error']}; energy of the call: {energy}")

    print("\n== method='json_mode': the prompt asks for JSON, the text is parsed")
    joke = model.with_structured_output(None, method="json_mode").invoke(
        "Tell a joke about cats as JSON with the keys 'setup' and 'punchline'."
    )
    print(f"   {joke}")
