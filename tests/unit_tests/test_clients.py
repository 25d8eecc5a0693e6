"""`http_client=` / `http_async_client=`: any client of httpx or httpx2, subclasses too (#20)."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import httpx as httpx1
import httpx2
import openai
import pytest

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._http.clients import client_library
from tests.helpers import API_KEY, Runner, completion
from tests.unit_tests.helpers import sse_call

LIBRARIES = {"httpx": httpx1, "httpx2": httpx2}


class Recorder:
    """A MockTransport handler in one library: answers and records every request."""

    def __init__(self, library: ModuleType) -> None:
        self.library = library
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Any) -> Any:
        body = json.loads(request.content)
        self.bodies.append(body)
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        if body.get("stream"):
            data = sse_call("f", '{"a": 1}')
            headers = {"content-type": "text/event-stream"}
            return self.library.Response(200, content=data.encode(), headers=headers)
        return self.library.Response(200, json=completion("Привет"))


def own_subclasses(library: ModuleType) -> tuple[type, type]:
    """A user's own subclasses of the library's clients, defined outside it."""

    class MyClient(library.Client):  # type: ignore[name-defined,misc]
        pass

    class MyAsyncClient(library.AsyncClient):  # type: ignore[name-defined,misc]
        pass

    return MyClient, MyAsyncClient


CLIENTS = {
    "openai's DefaultHttpxClient": (
        httpx2,
        lambda: (openai.DefaultHttpxClient, openai.DefaultAsyncHttpxClient),
    ),
    "httpx subclass": (httpx1, lambda: own_subclasses(httpx1)),
    "httpx2 subclass": (httpx2, lambda: own_subclasses(httpx2)),
    "httpx": (httpx1, lambda: (httpx1.Client, httpx1.AsyncClient)),
    "httpx2": (httpx2, lambda: (httpx2.Client, httpx2.AsyncClient)),
}


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("kind", CLIENTS)
async def test_any_client_of_the_http_libraries_is_used_as_given(
    run: Runner, kind: str, mode: str
) -> None:
    library, classes = CLIENTS[kind]
    sync_class, async_class = classes()
    recorder = Recorder(library)
    transport = library.MockTransport(recorder)
    model = ChatMashaGPT(
        api_key=API_KEY,
        http_client=sync_class(transport=transport),
        http_async_client=async_class(transport=transport),
    )
    if mode == "invoke":
        assert (await run.invoke(model, "Привет")).content == "Привет"
    else:
        chunks = await run.stream(model, "Привет")
        assert sum(len(c.tool_call_chunks) for c in chunks) >= 1
    assert len(recorder.bodies) == 1
    assert recorder.bodies[0]["messages"] == [{"role": "user", "content": "Привет"}]
    assert client_library(model.http_client) is library


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("http_client", object(), "http_client: Expected an instance of httpx2.Client"),
        ("http_client", "https://proxy", "got builtins.str"),
        ("http_async_client", httpx1.Client(), "pass it as http_client="),
        ("http_client", httpx2.AsyncClient(), "pass it as http_async_client="),
        ("http_async_client", openai.OpenAI, "AsyncClient"),
    ],
)
def test_a_non_client_is_a_type_error_at_construction(field: str, value: Any, said: str) -> None:
    with pytest.raises(TypeError, match=said.replace(".", r"\.")) as info:
        ChatMashaGPT(api_key=API_KEY, **{field: value})
    assert "subclass" in str(info.value)
    assert API_KEY not in str(info.value)


def test_client_library_refuses_what_is_no_client() -> None:
    with pytest.raises(TypeError, match="Expected an instance of"):
        client_library(object())
