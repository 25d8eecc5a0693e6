"""The error answer of the API, and the helpers the validators share."""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["ApiError", "fail", "is_int", "is_number", "kind", "reject_constant"]


class ApiError(Exception):
    """An error answer: HTTP status plus the OpenAI-style `{"error": {...}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        """Create the error; `message` should say what is wrong and how to fix it."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """Return the JSON body of the error answer."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def fail(param: str | None, message: str) -> NoReturn:
    """Raise a 400 `invalid_request_error` about `param`."""
    raise ApiError(400, message, param=param)


def reject_constant(name: str) -> NoReturn:
    """Reject `NaN`, `Infinity` and `-Infinity` while decoding JSON."""
    fail(None, f"The request body is not valid JSON: `{name}` is not a JSON value.")


def is_number(value: object) -> bool:
    """Tell whether `value` is a JSON number (a bool is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> bool:
    """Tell whether `value` is a JSON integer (a bool is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def kind(value: object) -> str:
    """Name the JSON-ish type of `value` for error messages."""
    return "null" if value is None else type(value).__name__
