"""LangChain integration for MashaGPT: `ChatMashaGPT` and its errors."""

from langchain_mashagpt._version import __version__
from langchain_mashagpt.chat_models import ChatMashaGPT
from langchain_mashagpt.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    IncompleteStreamError,
    InsufficientBalanceError,
    InternalServerError,
    MashaGPTError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ChatMashaGPT",
    "IncompleteStreamError",
    "InsufficientBalanceError",
    "InternalServerError",
    "MashaGPTError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "__version__",
]
