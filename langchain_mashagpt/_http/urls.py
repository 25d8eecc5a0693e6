"""`base_url` and `default_headers` checked, the endpoint built, and URLs as they are shown.

A `base_url` with a user or password in it is refused (the key goes in `api_key`
and nowhere else; httpx would otherwise send the userinfo as Basic auth in place
of the Bearer key, and log it); so are a fragment, a port above 65535 and
whitespace or control characters. A query stays a query: `/v1?tenant=a` calls
`/v1/chat/completions?tenant=a`, merged with `default_query` (which wins).
No message shows a URL's userinfo or a credential-like query value. No I/O.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from langchain_mashagpt._http.credential import credential_like

__all__ = ["check_base_url", "check_headers", "endpoint", "safe_url", "shown_url"]

ENDPOINT = "/chat/completions"
MASKED = "<masked>"
"""What a credential-like query value (or a URL's userinfo) is shown as."""


def safe_url(url: str) -> str:
    """`url` as a message may show it: no userinfo, credential-like query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be parsed; not shown)"
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{MASKED}@{host}" if "@" in parts.netloc else host
    query = "&".join(
        f"{name}={MASKED if credential_like(name) else value}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _refuse(base_url: str, why: str) -> ValueError:
    return ValueError(
        f"base_url {safe_url(base_url)!r} {why}; write it whole, e.g. 'https://api.mashagpt.ru/v1'."
    )


def check_base_url(base_url: str) -> str:
    """`base_url` checked, without a trailing `/` or `/chat/completions` in its path.

    The package appends `/chat/completions` itself; a URL whose path already
    ends with it is corrected, with a warning. A query is kept.

    Raises:
        ValueError: Not `http://` or `https://` with a host; a user or password in
            it; a fragment; a port above 65535; whitespace or control characters.
    """
    url = base_url.strip()
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise _refuse(base_url, "holds a space or a control character")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(base_url, "is not an http(s) URL with a host")
    if "@" in parts.netloc:
        raise ValueError(
            f"base_url {safe_url(base_url)!r} holds a user name or password (user:password@): "
            "it is refused, as it would be sent as Basic auth instead of the key and shown "
            "in logs. Pass the key as api_key=... (or MASHAGPT_API_KEY), and base_url "
            "without it."
        )
    if "#" in url:
        raise _refuse(base_url, "has a fragment (#…), which is never sent")
    try:
        parts.port  # noqa: B018 - it raises for a port out of range
    except ValueError:
        raise _refuse(base_url, "has a port that is not a number from 0 to 65535") from None
    path = parts.path.rstrip("/")
    if path.endswith(ENDPOINT):
        path = path[: -len(ENDPOINT)]
        fixed = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        warnings.warn(
            f"base_url {safe_url(base_url)!r} ends with {ENDPOINT}, which ChatMashaGPT "
            f"appends itself: using {safe_url(fixed)!r}. Pass that as base_url to silence "
            "this warning.",
            UserWarning,
            stacklevel=2,
        )
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def endpoint(base_url: str, query: Mapping[str, str] | None) -> str:
    """The chat completions URL under `base_url`: its query merged with `query` (which wins)."""
    parts = urlsplit(check_base_url(base_url))
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(query or {})
    return urlunsplit((parts.scheme, parts.netloc, parts.path + ENDPOINT, urlencode(params), ""))


def shown_url(url: str) -> str:
    """`url` as errors show it: without user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def check_headers(headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """`default_headers` if every name and value can be sent as they are.

    Raises:
        ValueError: A CR, LF or other control character, or a non-ASCII
            character, in a name or value. The header is named; its value is
            never shown when the name looks like a credential.
    """
    for name, value in (headers or {}).items():
        for what, text in (("name", name), ("value", value)):
            if not isinstance(text, str):
                continue  # pydantic has checked the type
            bad = [c for c in text if ord(c) > 126 or (ord(c) < 32 and c != "\t")]
            if bad:
                shown = "" if credential_like(name) or what == "name" else f" ({text!r})"
                kind = (
                    "a line break or control character"
                    if ord(bad[0]) < 32
                    else ("a non-ASCII character")
                )
                raise ValueError(
                    f"default_headers[{name.encode('ascii', 'backslashreplace').decode()!r}] "
                    f"has {kind} in its {what}{shown}, which an HTTP header cannot carry: "
                    "remove it (CR/LF would split the header), or encode the value, e.g. "
                    "percent-encoded or base64."
                )
    return headers
