"""Token counting offline: tiktoken where its data is already on disk, else an estimate.

`counter_for(model)` returns a `TokenCounter` for a model id. OpenAI's models
(`gpt-*`, `o1`/`o3`/`o4`…) are counted exactly with tiktoken, when tiktoken is
installed and its encoding file is already in its cache (checked by path and
SHA-256 before tiktoken is called, so counting never downloads or hangs). Every
other case uses langchain-core's `count_tokens_approximately` (4 characters a
token). The counters count what the API bills: the messages' text, names and
function calls, and the `functions` list as JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.utils import count_tokens_approximately

__all__ = ["TokenCounter", "counter_for"]

_BPE_FILES = {
    # encoding → (tiktoken's download URL, the file's SHA-256), as in tiktoken_ext.openai_public
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
_ENCODING_OF = (  # model id prefix → encoding, first match wins
    ("gpt-4o", "o200k_base"),
    ("gpt-4.", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("chatgpt-", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
)
_CHARS_PER_TOKEN = 4.0  # langchain-core's default for its approximate counter
_PER_MESSAGE = 3  # OpenAI's chat format: tokens around each message, and to prime the reply
_PER_NAME = 1


class TokenCounter(Protocol):
    """Counts the tokens of a text and of a request."""

    exact: bool
    """Whether counts come from the model's own tokenizer."""

    def text(self, text: str) -> int:
        """Tokens of `text`."""

    def messages(self, messages: Sequence[BaseMessage], functions: Sequence[Any]) -> int:
        """Tokens of a request: `messages` and the `functions` sent with them."""


def _cache_dir() -> str:
    """The directory tiktoken caches its files in, by tiktoken's own rule."""
    for variable in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if variable in os.environ:
            return os.environ[variable]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def _cached_file(encoding: str) -> bool:
    """Whether tiktoken would load `encoding` from its cache, not from the network."""
    url, sha256 = _BPE_FILES[encoding]
    directory = _cache_dir()
    if not directory:  # caching turned off: tiktoken would download every time
        return False
    path = os.path.join(directory, hashlib.sha1(url.encode()).hexdigest())  # noqa: S324
    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest() == sha256
    except OSError:
        return False


@cache
def _encoder(encoding: str) -> Any | None:
    """The tiktoken encoder for `encoding`, or `None` when it would need the network."""
    try:
        import tiktoken
    except ImportError:
        return None
    if not _cached_file(encoding):
        return None
    try:
        return tiktoken.get_encoding(encoding)
    except Exception:  # a broken install or cache: estimate instead
        return None


class _Exact:
    exact = True

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder

    def text(self, text: str) -> int:
        return len(self._encoder.encode(text, disallowed_special=()))

    def messages(self, messages: Sequence[BaseMessage], functions: Sequence[Any]) -> int:
        total = _PER_MESSAGE  # the reply's priming
        for message in messages:
            total += _PER_MESSAGE + sum(self.text(part) for part in _wire_texts(message))
            if message.name:
                total += _PER_NAME + self.text(message.name)
        if functions:
            total += self.text(json.dumps(functions, ensure_ascii=False))
        return total


class _Approximate:
    exact = False

    def text(self, text: str) -> int:
        return math.ceil(len(text) / _CHARS_PER_TOKEN)

    def messages(self, messages: Sequence[BaseMessage], functions: Sequence[Any]) -> int:
        return count_tokens_approximately(
            messages, chars_per_token=_CHARS_PER_TOKEN, tools=[dict(f) for f in functions] or None
        )


def _wire_texts(message: BaseMessage) -> list[str]:
    """The strings of `message` that go out: its text, and its calls' names and arguments."""
    texts = [str(message.text)]
    if isinstance(message, AIMessage):
        if message.tool_calls:
            for call in message.tool_calls:
                texts += (call["name"], json.dumps(call["args"], ensure_ascii=False))
        elif isinstance(legacy := message.additional_kwargs.get("function_call"), dict):
            texts += (str(legacy.get("name") or ""), str(legacy.get("arguments") or ""))
    return texts


def counter_for(model: str) -> TokenCounter:
    """The token counter for `model`: exact where possible offline, else approximate.

    Args:
        model: A model id, e.g. `"gpt-4o-mini"`.
    """
    name = model.strip().lower().rpartition("/")[2]
    for prefix, encoding in _ENCODING_OF:
        if name.startswith(prefix):
            encoder = _encoder(encoding)
            if encoder is not None:
                return _Exact(encoder)
            break
    return _APPROXIMATE


_APPROXIMATE = _Approximate()
