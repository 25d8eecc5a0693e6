"""A user's own HTTP client: which library it belongs to, checked by class. No I/O.

`http_client=` / `http_async_client=` take an `httpx` or `httpx2` client or any
subclass of one, wherever it is defined (openai's `DefaultHttpxClient`, a
user's own). The library is found with `isinstance` against the known client
classes, never from the class's module name; anything else is refused when the
model is built.
"""

from __future__ import annotations

from types import ModuleType
from typing import Annotated, Any

from pydantic import AfterValidator

__all__ = [
    "AsyncHTTPClient",
    "SyncHTTPClient",
    "check_async_client",
    "check_sync_client",
    "client_library",
]


def _libraries() -> list[ModuleType]:
    """The HTTP libraries whose clients are taken: httpx, and httpx2 when it imports."""
    import httpx

    found = [httpx]
    try:
        import httpx2
    except ModuleNotFoundError:  # pragma: no cover - httpx2 comes with langsmith
        return found
    return [httpx2, *found]


def client_library(client: object) -> ModuleType:
    """The library (`httpx` or `httpx2`) whose `Client`/`AsyncClient` `client` is an instance of.

    Raises:
        TypeError: `client` is no client of either library.
    """
    for library in _libraries():
        if isinstance(client, (library.Client, library.AsyncClient)):
            return library
    raise TypeError(_refusal(client, "Client or AsyncClient"))


def _refusal(value: object, wanted: str) -> str:
    names = " or ".join(f"{library.__name__}.{wanted}" for library in _libraries())
    return (
        f"Expected an instance of {names} (or a subclass, such as openai's "
        f"DefaultHttpxClient), got {type(value).__module__}.{type(value).__qualname__}. "
        "Pass an HTTP client of one of these libraries, or leave the field out to use "
        "the shared pool."
    )


def _check(value: Any, kind: str, field: str) -> Any:
    if value is None:
        return None
    if any(isinstance(value, getattr(library, kind)) for library in _libraries()):
        return value
    hint = ""
    other = "AsyncClient" if kind == "Client" else "Client"
    if any(isinstance(value, getattr(library, other)) for library in _libraries()):
        hint = (
            f" This is an {other}: pass it as http_async_client=."
            if other == "AsyncClient"
            else f" This is a {other}: pass it as http_client=."
        )
    raise TypeError(f"{field}: {_refusal(value, kind)}{hint}")


def check_sync_client(value: Any) -> Any:
    """`value` for `http_client=`: `None` or a sync client of httpx or httpx2.

    Raises:
        TypeError: Anything else, with what was expected.
    """
    return _check(value, "Client", "http_client")


def check_async_client(value: Any) -> Any:
    """`value` for `http_async_client=`: `None` or an async client of httpx or httpx2.

    Raises:
        TypeError: Anything else, with what was expected.
    """
    return _check(value, "AsyncClient", "http_async_client")


SyncHTTPClient = Annotated[Any, AfterValidator(check_sync_client)]
"""The type of `http_client=`: checked when the model is built."""
AsyncHTTPClient = Annotated[Any, AfterValidator(check_async_client)]
"""The type of `http_async_client=`: checked when the model is built."""
