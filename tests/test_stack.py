"""Which HTTP stack and JSON library the suite ran on, so each CI job proves what it claims.

`make test` runs on what a fresh install resolves today: httpx2 (with httpcore2) and orjson,
both arriving through langsmith. `make compat-test` sets `MASHAGPT_TEST_STACK=oldest` and runs
on the oldest httpx, httpcore and h11 that pyproject.toml allows, with neither httpx2 nor
orjson installed, so the package's fallbacks (plain httpx, the standard library's json) are
tested paths rather than untested branches.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from langchain_mashagpt import _json
from langchain_mashagpt._http import pool

OLDEST = os.environ.get("MASHAGPT_TEST_STACK") == "oldest"
ROOT = Path(__file__).resolve().parent.parent


def _oldest_pins() -> dict[str, str]:
    script = ROOT / ".ci" / "oldest"
    out = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True)
    return dict(line.split("==") for line in out.stdout.split())


def test_the_stack_is_the_one_this_job_claims() -> None:
    installed = {name: importlib.util.find_spec(name) is not None for name in ("httpx2", "orjson")}
    if OLDEST:
        assert installed == {"httpx2": False, "orjson": False}
        for name, version in _oldest_pins().items():
            assert importlib.metadata.version(name) == version, name
        assert pool.httpx.__name__ == "httpx"
        assert _json.orjson is None
    else:
        assert installed == {"httpx2": True, "orjson": True}
        assert pool.httpx.__name__ == "httpx2"
        assert _json.orjson is not None


def test_the_oldest_pins_are_the_lower_bounds_of_pyproject() -> None:
    pins = _oldest_pins()
    assert set(pins) == {"httpx", "httpcore", "h11"}
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"httpx>=0.28,<1"' in text
    assert '"httpcore>=1.0,<2"' in text
    assert pins["httpx"] == "0.28.0"
    assert pins["httpcore"] == "1.0.0"
