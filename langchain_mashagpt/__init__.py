"""LangChain integration for MashaGPT: `ChatMashaGPT`, its errors, and energy tracking."""

from langchain_mashagpt._version import __version__
from langchain_mashagpt.callbacks import (
    EnergyUsage,
    MashaGPTCallbackHandler,
    get_mashagpt_callback,
)
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
    ContextOverflowError,
    DeadlineExceededError,
    IncompleteStreamError,
    InsufficientBalanceError,
    InternalServerError,
    MashaGPTError,
    MissingDependencyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestEncodingError,
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
    "ContextOverflowError",
    "DeadlineExceededError",
    "EnergyUsage",
    "IncompleteStreamError",
    "InsufficientBalanceError",
    "InternalServerError",
    "MashaGPTCallbackHandler",
    "MashaGPTError",
    "MissingDependencyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestEncodingError",
    "__version__",
    "get_mashagpt_callback",
]
