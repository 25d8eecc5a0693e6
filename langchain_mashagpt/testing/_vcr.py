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

from typing import Any

__all__ = ["FILTERED_HEADERS", "vcr_config"]

FILTERED_HEADERS = ("authorization", "x-api-key", "api-key", "cookie")
"""Request headers never written to a cassette (the API key travels in `authorization`)."""


def _drop_cookies(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    for name in [n for n in headers if n.lower() == "set-cookie"]:
        del headers[name]
    return response


def vcr_config(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for `vcr.VCR(...)` / pytest-recording's `vcr_config` fixture.

    - The key is filtered out: `authorization` (and other credential headers) are
      replaced by `REDACTED`; `set-cookie` is dropped from answers.
    - Requests match on method, path, query and JSON body — not on host or port,
      so a cassette recorded against the real API or against the emulator on any
      port replays wherever `base_url` points.
    - Compressed answers are stored decoded, so cassettes stay readable YAML.

    Args:
        **overrides: Settings that replace these defaults (e.g. `record_mode`,
            `cassette_library_dir`).
    """
    config: dict[str, Any] = {
        "filter_headers": [(name, "REDACTED") for name in FILTERED_HEADERS],
        "match_on": ["method", "path", "query", "body"],
        "decode_compressed_response": True,
        "before_record_response": _drop_cookies,
    }
    config.update(overrides)
    return config
