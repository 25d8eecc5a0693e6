"""What every step works with: the target, a tapped client, and a safe way to call.

`Context.chat()` builds a `ChatMashaGPT` that never retries (a retry would be
paid for twice) and sends through the `Tap`, so a step sees both the
LangChain result and the raw answer. `Context.call()` turns what the package
raises into a `Difference`; only what makes the step meaningless escapes it:
a refused key (the run stops), a lost connection, a rate limit or a server
error (the step failed; it says nothing about the answer's shape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_mashagpt._http.tap import Client, Exchange, Tap
from langchain_mashagpt.chat_models import ChatMashaGPT
from langchain_mashagpt.check._shapes import Difference, decode_stream, error_message, loads, shape
from langchain_mashagpt.errors import (
    APIConnectionError,
    AuthenticationError,
    IncompleteStreamError,
    InsufficientBalanceError,
    MashaGPTError,
    NotFoundError,
)

__all__ = [
    "MAX_TOKENS",
    "REASONING_MODEL",
    "Context",
    "ModelMissing",
    "Stopped",
    "Unavailable",
    "energy_of",
]

MAX_TOKENS = 64
"""The longest answer a step asks for: it bounds what a run costs."""
REASONING_MODEL = "deepseek-reasoner"
"""The reasoning model the reasoning probe asks, unless told another (`--reasoning-model`)."""
_T = TypeVar("_T")


class Stopped(Exception):
    """Nothing after this can work: the key was refused (401) or the balance is spent (402)."""


class ModelMissing(Exception):
    """A 404: the model id (or the base URL) is unknown, so its other steps are skipped."""


class Unavailable(Exception):
    """The service could not answer (connection, 429, 5xx): the step says nothing."""


@dataclass
class Context:
    """One model's run: where to send, with what key, and the tap to observe it."""

    model: str
    base_url: str
    api_key: str
    tap: Tap
    http: Client
    timeout: float = 60.0
    reasoning_model: str = REASONING_MODEL

    def chat(self, **fields: Any) -> ChatMashaGPT:
        """A `ChatMashaGPT` for this run: no retries, short answers, tapped client."""
        settings: dict[str, Any] = {
            "model": self.model,
            "api_key": self.api_key,
            "base_url": self.base_url,
            "max_retries": 0,
            "timeout": self.timeout,
            "max_tokens": MAX_TOKENS,
            "http_client": self.http,
        }
        settings.update(fields)
        return ChatMashaGPT(**settings)

    @property
    def last(self) -> Exchange:
        """The latest exchange."""
        return self.tap.exchanges[-1]

    def request(self) -> Any:
        """The JSON body of the latest request."""
        return loads(self.last.request)

    def answer(self) -> Any:
        """The JSON body of the latest answer, or its text when it is not JSON."""
        try:
            return loads(bytes(self.last.body))
        except ValueError:
            return bytes(self.last.body).decode("utf-8", "replace")

    def call(self, action: Callable[[], _T]) -> tuple[_T | None, list[Difference]]:
        """Run `action`; what the package raises becomes a `Difference`.

        Raises:
            Stopped: The service answered 401 to the check's own key, or 402.
            ModelMissing: The service answered 404.
            Unavailable: No answer, a rate limit or a server error.
        """
        try:
            return action(), []
        except AuthenticationError as exc:
            raise Stopped(f"MashaGPT refused the API key: {_name(exc)}") from exc
        except InsufficientBalanceError as exc:
            raise Stopped(f"the account has no energy left: {_name(exc)}") from exc
        except NotFoundError as exc:
            raise ModelMissing(_name(exc)) from exc
        except IncompleteStreamError as exc:
            return None, [Difference("ChatMashaGPT", "an answer", _name(exc))]
        except APIConnectionError as exc:
            raise Unavailable(str(exc)) from exc
        except MashaGPTError as exc:
            status = self.last.status if self.tap.exchanges else 0
            if status == 429 or status >= 500:
                raise Unavailable(str(exc)) from exc
            if status < 300:
                return None, [Difference("ChatMashaGPT", "an answer", _name(exc))]
            message = error_message(self.answer()) or shape(self.answer())
            return None, [
                Difference("HTTP status", "200", f"{status} ({message[:120]})"),
                Difference("ChatMashaGPT", "an answer", type(exc).__name__),
            ]


def energy_of(exchange: Exchange) -> int | None:
    """The `total_energy` an answer reports, or None when it reports none."""
    if exchange.status >= 300 or not exchange.body:
        return None
    if exchange.content_type.startswith("text/event-stream"):
        chunks, _ = decode_stream(bytes(exchange.body))
        usages = [c.get("usage") for c in chunks if isinstance(c, dict) and c.get("usage")]
        usage = usages[-1] if usages else None
    else:
        try:
            body = loads(bytes(exchange.body))
        except ValueError:
            return None
        usage = body.get("usage") if isinstance(body, dict) else None
    energy = usage.get("total_energy") if isinstance(usage, dict) else None
    return energy if isinstance(energy, int) and not isinstance(energy, bool) else None


def _name(exc: Exception) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:160]}"
