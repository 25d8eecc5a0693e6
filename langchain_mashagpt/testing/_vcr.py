"""VCR settings for cassette tests of chains that use `ChatMashaGPT`.

```python
# conftest.py — with pytest-recording
import pytest
from langchain_mashagpt.testing import vcr_config as mashagpt_vcr_config


@pytest.fixture(scope="module")
def vcr_config():
    return mashagpt_vcr_config()
```

Then mark a test `@pytest.mark.vcr`: `pytest --record-mode=once` records it,
plain `pytest` (`--record-mode=none`, pytest-recording's default) replays it and
fails on any request the cassette does not hold.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from langchain_mashagpt._http.redact import Redactor, proxy_secrets

__all__ = ["FILTERED_HEADERS", "vcr_config"]

FILTERED_HEADERS = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
)
"""Request headers never written to a cassette (the API key travels in `authorization`)."""
_REDACTED = "REDACTED"


class _Scrubber:
    """Masks every secret it knows, and every one a request's headers carry, in a cassette.

    What a request carries in its credential headers (the key) is learnt before
    that request is recorded, so its answer — whose body or any header may echo
    the key — is recorded masked too. The one `Redactor` of the package does the
    masking.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = {s for s in secrets if s}
        self._redactor = Redactor(*self._secrets)

    def _learn(self, value: str) -> None:
        token = value.strip().partition(" ")[2]
        found = {value.strip(), token.strip()} if token else {value.strip()}
        if not found <= self._secrets:
            self._secrets |= {s for s in found if s}
            self._redactor = Redactor(*self._secrets)

    def _body(self, body: Any) -> Any:
        if isinstance(body, bytes):
            return self._redactor.data(body)
        if isinstance(body, str):
            return self._redactor.text(body)
        return body

    def request(self, request: Any) -> Any:
        for name in list(request.headers):
            if name.lower() in FILTERED_HEADERS:
                value = str(request.headers[name])
                if _REDACTED not in value:  # vcr may filter one request twice
                    self._learn(value)
                request.headers[name] = _REDACTED
        for name in list(request.headers):
            request.headers[name] = self._redactor.text(str(request.headers[name]))
        request.body = self._body(request.body)
        request.uri = self._redactor.text(request.uri)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers") or {}
        for name in list(headers):
            if name.lower() == "set-cookie":
                del headers[name]
            else:
                values = headers[name]
                values = values if isinstance(values, list) else [values]
                headers[name] = [self._redactor.text(str(v)) for v in values]
        body = response.get("body")
        if isinstance(body, dict) and "string" in body:
            body["string"] = self._body(body["string"])
        return response


def vcr_config(*, secrets: Iterable[str] = (), **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for `vcr.VCR(...)` / pytest-recording's `vcr_config` fixture.

    - The key is filtered out: `authorization` (and other credential headers) are
      replaced by `REDACTED`; and the key they carried, `MASHAGPT_API_KEY`, the
      proxies' credentials and `secrets` are masked (with every 6-character piece)
      in recorded request and response bodies, the URL and all headers, so a server
      that echoes the key (in an error body, `WWW-Authenticate`, any header) does
      not put it in the file. `set-cookie` is dropped from answers.
    - Requests match on method, path, query and JSON body — not on host or port,
      so a cassette recorded against the real API or against the emulator on any
      port replays wherever `base_url` points.
    - Compressed answers are stored decoded, so cassettes stay readable YAML.

    Args:
        secrets: Further texts never to write (e.g. a second key).
        **overrides: Settings that replace these defaults (e.g. `record_mode`,
            `cassette_library_dir`).
    """
    known = [*secrets, os.environ.get("MASHAGPT_API_KEY", "").strip(), *proxy_secrets()]
    scrubber = _Scrubber(known)
    config: dict[str, Any] = {
        "match_on": ["method", "path", "query", "body"],
        "decode_compressed_response": True,
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
    }
    config.update(overrides)
    return config
