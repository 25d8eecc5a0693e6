"""Runs one page's Python blocks as a user would, in a process of its own.

    python tests/docs/runner.py BLOCKS RESULTS

It starts the bundled emulator, points `MASHAGPT_BASE_URL` and `MASHAGPT_API_KEY` at it (the
two variables the docs tell users to set), works in the current directory (a fresh one, given
by the test) and runs each block of BLOCKS (JSON): in a fresh namespace, or in the previous one when it
`continues`. One JSON line per block goes to RESULTS as soon as it is known, so a block that
hangs past its timeout still leaves the others' results and its own traceback on stderr.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from langchain_mashagpt.testing import MashaGPTEmulator

BLOCK_TIMEOUT = 240  # seconds; a shared 2-core machine can be very slow
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
PYTEST += ["-p", "no:hypothesispytest", "-p", "no:langsmith_plugin"]  # seconds to import


def run_python(code: str, namespace: dict[str, Any], where: str) -> tuple[str | None, str]:
    """Exec `code`; (traceback or None, what it printed)."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, where, "exec"), namespace)
    except BaseException:  # whatever the block raised, SystemExit too
        return traceback.format_exc(limit=-8), out.getvalue()
    return None, out.getvalue()


def file_name(block: dict[str, Any]) -> str:
    """A pytest block's file name: its first line, `# test_x.py`."""
    first: str = block["code"].splitlines()[0]
    if not first.startswith("# ") or not first.endswith(".py"):
        return ""
    return first.removeprefix("# ").strip()


def run_pytest(files: list[str]) -> tuple[str | None, str]:
    """Run the test files as docs/testing.md says; (failure or None, output).

    `--record-mode=once` first; when that recorded cassettes, a replay (`--record-mode=none`)
    must pass too.
    """
    output = ""
    for mode in ("--record-mode=once", "--record-mode=none"):
        cassettes = set(Path().rglob("*.yaml"))
        try:
            done = subprocess.run(
                [*PYTEST, mode, *files], capture_output=True, text=True, timeout=BLOCK_TIMEOUT / 2
            )
        except subprocess.TimeoutExpired as exc:
            return f"pytest {mode} took over {exc.timeout} s:\n{exc.stdout!r}", output
        output += done.stdout + done.stderr
        if done.returncode != 0:
            return f"pytest {mode} exited {done.returncode}:\n{output}", output
        if set(Path().rglob("*.yaml")) == cassettes:
            break
    return None, output


def run_test_file(
    block: dict[str, Any], following: dict[str, Any] | None, group: list[str]
) -> tuple[str | None, str]:
    """Write a pytest block to its file; run the group's tests once its last block is written."""
    name = file_name(block)
    if not name:
        return "a pytest block starts with its file name: `# test_x.py`", ""
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(block["code"], encoding="utf-8")
    group.append(name)
    if following and "continues" in following["markers"]:
        return None, ""
    return run_pytest([f for f in group if Path(f).name.startswith("test_")])


def main() -> None:
    """Run the blocks read from argv[1]; write one result line each to argv[2]."""
    blocks: list[dict[str, Any]] = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    namespace: dict[str, Any] = {}
    group: list[str] = []
    with MashaGPTEmulator() as emulator, Path(sys.argv[2]).open("a", encoding="utf-8") as results:
        os.environ["MASHAGPT_BASE_URL"] = emulator.base_url
        os.environ["MASHAGPT_API_KEY"] = emulator.api_key
        for block, following in zip(blocks, [*blocks[1:], None], strict=True):
            faulthandler.dump_traceback_later(BLOCK_TIMEOUT, exit=True)
            if "continues" not in block["markers"]:
                namespace = {"__name__": "__main__"}
                group = []
            sent_before = len(emulator.requests)
            if "pytest" in block["markers"]:
                error, out = run_test_file(block, following, group)
            else:
                error, out = run_python(block["code"], namespace, block["id"])
            faulthandler.cancel_dump_traceback_later()
            sent = len(emulator.requests) - sent_before
            result = {"id": block["id"], "error": error, "stdout": out, "sent": sent}
            results.write(json.dumps(result) + "\n")
            results.flush()


if __name__ == "__main__":
    main()
