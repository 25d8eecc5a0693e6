"""Every error of the package crosses processes: pickle and deepcopy keep it whole, and keyless.

Before, `APIStatusError` and its subclasses failed to unpickle (`TypeError`: their
`__init__` takes keyword-only arguments), so one 429 inside a `ProcessPoolExecutor`
broke every future of the pool.
"""

from __future__ import annotations

import copy
import inspect
import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from langchain_mashagpt import ChatMashaGPT, errors
from tests.reliability.hostile import Connection, Hostile

KEY = "sk-PickleMe0123456789abcdef"
CLASSES = sorted(
    (
        cls
        for cls in vars(errors).values()
        if inspect.isclass(cls)
        and issubclass(cls, errors.MashaGPTError)
        and cls.__module__ == errors.__name__
    ),
    key=lambda cls: cls.__name__,
)


def instance(cls: type[errors.MashaGPTError]) -> errors.MashaGPTError:
    """An instance of `cls` with every attribute its `__init__` takes set."""
    if issubclass(cls, errors.APIStatusError):
        return cls(
            "MashaGPT answered HTTP 429: slow down.",
            status_code=429,
            body={"error": {"message": "slow down"}},
            code="rate_limited",
            error_type="requests",
            request_id="req-1",
            headers={"retry-after": "120"},
            attempts=3,
            retry_after=120.0,
        )
    if issubclass(cls, errors.APIError):
        return cls("The server said no.", body={"error": "no"}, code="c", error_type="t")
    if issubclass(cls, errors.APIConnectionError):
        return cls("Could not connect.", attempts=2)
    if issubclass(cls, errors.APIResponseValidationError):
        return cls("Not JSON.", body="<html>")
    if issubclass(cls, errors.RequestEncodingError):
        return cls("NaN in extra_body.", where="extra_body")
    if issubclass(cls, errors.BudgetExceededError):
        return cls(12, 10, "energy", 3)
    return cls("Install the extra.")


def test_every_class_is_covered() -> None:
    assert errors.RateLimitError in CLASSES
    assert errors.ContextOverflowError in CLASSES
    assert len(CLASSES) == len(set(CLASSES)) >= 19


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_an_error_round_trips(cls: type[errors.MashaGPTError], how: str) -> None:
    exc = instance(cls)
    if how == "pickle":
        back = pickle.loads(pickle.dumps(exc))
    elif how == "deepcopy":
        back = copy.deepcopy(exc)
    else:
        back = copy.copy(exc)
    assert type(back) is cls
    assert str(back) == str(exc)
    assert back.args == exc.args
    assert vars(back) == vars(exc)
    for name in ("status_code", "retry_after", "message", "attempts", "body", "headers"):
        assert getattr(back, name, None) == getattr(exc, name, None)


def _rate_limited(conn: Connection) -> None:
    conn.reply(
        429,
        {"error": {"message": f"Too many requests for {KEY}", "code": "rate_limited"}},
        headers={"Retry-After": "120"},
    )


def call_in_child(base_url: str) -> str:
    """Runs in a worker process: one call, answered 429 with a wait beyond the client's cap."""
    ChatMashaGPT(api_key=KEY, base_url=base_url, max_retries=1, timeout=10).invoke("Hi")
    return "answered"  # pragma: no cover - the call raises


@pytest.fixture
def rate_limited() -> Iterator[Hostile]:
    server = Hostile(_rate_limited)
    yield server
    server.close()


def test_a_429_crosses_a_process_pool(rate_limited: Hostile) -> None:
    context = multiprocessing.get_context("spawn")  # fork with the server's threads warns
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        futures = [pool.submit(call_in_child, rate_limited.base_url) for _ in range(2)]
        raised: list[Any] = [f.exception(timeout=120) for f in futures]
        assert pool.submit(len, "alive").result(timeout=60) == 5  # the pool still works
    for exc in raised:
        assert type(exc) is errors.RateLimitError
        assert exc.status_code == 429
        assert exc.retry_after == 120.0
        assert "<API key>" in str(exc)
        assert KEY[:12] not in repr(vars(exc)) + str(exc)
