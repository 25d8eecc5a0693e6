"""The one redactor: the key, proxy credentials and credential-like query values masked.

The key goes out in the `Authorization` header and nowhere else (`_http.credential`).
A server (or a proxy) can still echo it, or a proxy's credentials, in an error
body, an HTML page, a header, JSON-escaped, whole or in part: `Redactor` masks
every run of text made of pieces (six characters or longer) of each secret it was
given, and, whatever it was given, the userinfo of any URL, credential-like query
values (`?api-key=…`) and `Authorization`/`Proxy-Authorization` values in text.
It is the one used for errors, the HTTP library's logs (`mask_logs`), the `check`
subpackage and cassettes (`testing.vcr_config`). No I/O.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from langchain_mashagpt._http.credential import credential_like

__all__ = ["PIECE", "Redactor", "hide_key", "mask_logs", "proxy_secrets", "query_secrets"]

PIECE = 6
"""The shortest piece of a secret that is masked where a server echoes it."""
MASK = "<API key>"
"""What replaces a secret, or a piece of it, in error messages and attributes."""
_MASKED = "<masked>"
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@'\"<>]+@")
_QUERY = re.compile(r"([?&])([^=&\s#'\"]+)=([^&\s#'\"]*)")
_AUTHORIZATION = re.compile(
    r"(?i)((?:proxy-)?authorization['\"]?\s*[:=,]\s*b?['\"]?(?:basic|bearer|digest)\s+)"
    r"[^\s'\",)]+"
)


def _query(match: re.Match[str]) -> str:
    if not credential_like(match[2]):
        return match[0]
    return f"{match[1]}{match[2]}={_MASKED}"


def masked_patterns(text: str) -> str:
    """`text` with URL userinfo, credential-like query values and auth header values masked."""
    if "@" in text:
        text = _USERINFO.sub(rf"\1{_MASKED}@", text)
    if "=" in text:
        text = _QUERY.sub(_query, text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTHORIZATION.sub(rf"\1{_MASKED}", text)
    return text


def proxy_secrets(environ: Mapping[str, str] | None = None) -> Iterator[str]:
    """The credentials of the proxies in the environment: passwords, `user:password`, base64."""
    environ = os.environ if environ is None else environ
    for name in _PROXY_VARIABLES:
        for value in (environ.get(name), environ.get(name.lower())):
            if not value or "@" not in value:
                continue
            try:
                parts = urlsplit(value if "://" in value else f"http://{value}")
            except ValueError:
                continue
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
            pair = f"{user}:{password}"
            yield from (user, password, pair, base64.b64encode(pair.encode()).decode())


def query_secrets(query: Mapping[str, str] | None) -> Iterator[str]:
    """The values of `default_query` whose names look like credentials (`api-key`, `token`)."""
    for name, value in (query or {}).items():
        if credential_like(str(name)) and isinstance(value, str):
            yield value


def hide_key(data: Any, fields: Collection[str] = ()) -> Any:
    """Constructor input with `api_key` wrapped in `SecretStr` before anything validates it.

    So is any other argument named like a credential (`apiKey=`, `token=`) that is
    not one of `fields`; it is then refused (`_arguments.init_arguments`).

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


_E = TypeVar("_E", bound=BaseException)


class Redactor:
    """Masks secrets, and every run of their pieces of `PIECE` characters, in text.

    `text` is linear in the text's length: the pieces are looked up in a set.
    Secrets shorter than `PIECE` are masked only where a pattern finds them (in a
    URL's userinfo, a query value, an auth header value).

    Args:
        *secrets: The texts to mask (`SecretStr`s are unwrapped here, not kept).
    """

    __slots__ = ("__weakref__", "_pieces")

    def __init__(self, *secrets: str | SecretStr) -> None:
        self._pieces = frozenset(_pieces(secrets))

    def text(self, text: str) -> str:
        """`text` with each run of secret pieces replaced by `<API key>`, patterns masked."""
        text = masked_patterns(text)
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

    def data(self, data: bytes) -> bytes:
        """`data` (UTF-8 or not) masked as text; bytes that are not UTF-8 are kept as they are."""
        text = data.decode("utf-8", "surrogateescape")
        masked = self.text(text)
        return data if masked == text else masked.encode("utf-8", "surrogateescape")

    def value(self, value: Any) -> Any:
        """`value` (JSON: dicts, lists, strings) with every string masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def scrubbed(self, exc: _E) -> _E:
        """`exc` with every secret masked in it, cut off from every chained exception.

        Its traceback is dropped too: the frames it passed (the parsers') hold the
        raw answer, which may echo the key, and printers that show locals print it.
        """
        exc.__traceback__ = None
        exc.__cause__ = exc.__context__ = None
        exc.__suppress_context__ = True
        exc.args = tuple(self.value(a) for a in exc.args)
        for name, value in vars(exc).items():
            setattr(exc, name, self.value(value))
        return exc


_LIVE: weakref.WeakSet[Redactor] = weakref.WeakSet()
_LOGGERS = (
    *(
        f"{library}.{name}"
        for library in ("httpcore", "httpcore2")
        for name in ("http11", "http2", "connection", "proxy", "socks")
    ),
    *("httpx", "httpx2", "langchain_mashagpt", "vcr.request"),
)
"""The loggers that write URLs (httpx's `HTTP Request: POST …` at INFO) or what a server
sent (httpcore's headers at DEBUG). A filter acts on its own logger's records only."""


class _MaskKeys(logging.Filter):
    """Masks the secrets of live transports, and the patterns, in the HTTP library's records.

    A server that echoes the key in a response header would otherwise have
    httpcore log it; httpx logs each URL, with its query, at INFO.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = masked_patterns(record.getMessage())
        for redactor in list(_LIVE):
            text = redactor.text(text)
        record.msg, record.args = text, ()
        return True


_FILTER = _MaskKeys()


def _pieces(secrets: Iterable[str | SecretStr]) -> Iterator[str]:
    for secret in secrets:
        text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        yield from (text[i : i + PIECE] for i in range(len(text) - PIECE + 1))


def mask_logs(redactor: Redactor) -> None:
    """Mask `redactor`'s secrets in the HTTP library's logs while it lives."""
    if not _LIVE:
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
    _LIVE.add(redactor)
