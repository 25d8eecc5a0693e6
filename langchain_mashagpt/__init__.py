"""LangChain integration for MashaGPT: `ChatMashaGPT`, its errors, and energy tracking.

Every error class is in `langchain_mashagpt.errors`; the others are still found here.
"""

from typing import Any

from langchain_mashagpt import errors
from langchain_mashagpt._version import __version__
from langchain_mashagpt.callbacks import EnergyUsage, MashaGPTCallbackHandler, get_mashagpt_callback
from langchain_mashagpt.chat_models import ChatMashaGPT
from langchain_mashagpt.errors import BudgetExceededError, MashaGPTError

__all__ = [
    "BudgetExceededError",
    "ChatMashaGPT",
    "EnergyUsage",
    "MashaGPTCallbackHandler",
    "MashaGPTError",
    "__version__",
    "get_mashagpt_callback",
]


def __getattr__(name: str) -> Any:
    """An error class of `errors` (`from langchain_mashagpt import RateLimitError` still works)."""
    if name in errors.__all__:
        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
