"""The API key: checked once when the transport is built, and redacted from what comes back.

The key goes out in the `Authorization` header and nowhere else. A server can
still echo it (in an error body, an HTML page, a header, JSON-escaped), whole or
in part: `Redactor` masks every run of text made of pieces of the key (six
characters or longer) in what the server sent, after decoding. No I/O.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Collection
from typing import Any

from pydantic import SecretStr

from langchain_mashagpt._credential import credential_like

__all__ = ["PIECE", "Redactor", "header_key", "hide_key", "mask_logs"]

PIECE = 6
"""The shortest piece of the key that is masked where a server echoes it."""
MASK = "<API key>"
"""What replaces the key, or a piece of it, in error messages and attributes."""

_NO_KEY = (
    "No MashaGPT API key: set the MASHAGPT_API_KEY environment variable or pass "
    "api_key=... to ChatMashaGPT."
)


def header_key(api_key: SecretStr | None) -> str:
    """The key as it goes into the `Authorization` header: stripped and checked.

    Surrounding whitespace (a `.env` line's newline) is dropped; anything else
    that cannot be in a header value refuses the key with an error that shows
    no part of it.

    Raises:
        ValueError: No key, or a key that cannot be sent.
    """
    key = api_key.get_secret_value().strip() if api_key is not None else ""
    if not key:
        raise ValueError(_NO_KEY)
    if not all(33 <= ord(c) <= 126 for c in key):
        raise ValueError(
            "The MashaGPT API key holds a character that cannot be sent in an HTTP "
            "header (a space, a control character or a non-ASCII letter inside it). "
            "Copy the key again from your MashaGPT account; it is not shown here."
        )
    return key


def hide_key(data: Any, fields: Collection[str] = ()) -> Any:
    """Constructor input with `api_key` wrapped in `SecretStr` before anything validates it.

    So is any other argument named like a credential (`apiKey=`, `token=`) that is
    not one of `fields`; it is then refused (`_settings.init_arguments`).

    pydantic quotes the input in its validation errors (`input_value=`); wrapped,
    a key shows as `SecretStr('**********')` there. A key that is not a string is
    refused without quoting it.

    Raises:
        ValueError: `api_key` is neither a string nor a `SecretStr`.
    """
    if not isinstance(data, dict):
        return data
    for name in [n for n in data if isinstance(n, str) and n not in fields and credential_like(n)]:
        value = data[name]  # refused later; until then, wrapped like the key
        if name != "api_key" and not isinstance(value, SecretStr):
            data[name] = SecretStr(str(value))
    for name in ("api_key",):
        value = data.get(name)
        if value is None or isinstance(value, SecretStr):
            continue
        if not isinstance(value, str):
            data[name] = SecretStr("")
            raise ValueError(
                f"api_key must be a string (or a SecretStr), not {type(value).__name__}; "
                "the value given is not shown."
            )
        data[name] = SecretStr(value)
    return data


class Redactor:
    """Masks the key, and every run of its pieces of `PIECE` characters, in text.

    `text` is linear in the text's length: the pieces are looked up in a set.
    """

    __slots__ = ("__weakref__", "_pieces")

    def __init__(self, secret: str) -> None:
        """Prepare to mask `secret`; an empty secret masks nothing."""
        self._pieces = frozenset(secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1))

    def text(self, text: str) -> str:
        """`text` with each run of key pieces replaced by `<API key>`."""
        if not self._pieces or not any(piece in text for piece in self._pieces):
            return text
        covered = [False] * len(text)
        for i in range(len(text) - PIECE + 1):
            if text[i : i + PIECE] in self._pieces:
                covered[i : i + PIECE] = [True] * PIECE
        out: list[str] = []
        for i, char in enumerate(text):
            if not covered[i]:
                out.append(char)
            elif i == 0 or not covered[i - 1]:
                out.append(MASK)
        return "".join(out)

    def value(self, value: Any) -> Any:
        """`value` (JSON: dicts, lists, strings) with every string masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


_LIVE: weakref.WeakSet[Redactor] = weakref.WeakSet()
_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore2.http11", "httpcore2.http2")
"""The loggers that write what a server sent (its headers) at DEBUG level."""


class _MaskKeys(logging.Filter):
    """Masks the keys of live transports in the HTTP library's DEBUG records.

    A server that echoes the key in a response header would otherwise have
    httpcore log it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for redactor in list(_LIVE):
            text = redactor.text(text)
        record.msg, record.args = text, ()
        return True


_FILTER = _MaskKeys()


def mask_logs(redactor: Redactor) -> None:
    """Mask `redactor`'s key in the HTTP library's logs while it lives."""
    if not _LIVE:
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
    _LIVE.add(redactor)
