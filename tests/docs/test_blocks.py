"""Every ```python block of README.md, README.ru.md and docs/ runs as shown and prints what it says.

The conventions (markers above a fence, ```text outputs, `# -> text` comments) are in
`tests/docs/blocks.py`. Each page's blocks run in one process of their own
(`tests/docs/runner.py`), against the bundled emulator through `MASHAGPT_BASE_URL` and
`MASHAGPT_API_KEY`, in a fresh directory. The processes start together and are awaited per
test, so the file takes about as long as the slowest page. pytest-socket in this process does
not reach them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.docs.blocks import PAGES, ROOT, Block, pattern, python_blocks

TIMEOUT = 300  # seconds for a whole page; every page starts at once on a shared 2-core machine
RUNNER = Path(__file__).with_name("runner.py")
MAX_NO_RUN = 2  # "no-run" is for what cannot run at all; it must stay rare

# The Russian tool-call blocks (README.ru.md, docs/tools.md) print the emulator's call for it.
RUSSIAN_QUESTION = "Какая погода в Москве?"

BLOCKS = [block for page in PAGES for block in python_blocks(page)]
RUNNABLE = [block for block in BLOCKS if "no-run" not in block.markers]


@dataclass
class PageRun:
    """One page's runner process and the file its results go to."""

    process: subprocess.Popen[str]
    results: Path

    def wait(self) -> dict[str, dict[str, Any]]:
        """Each block's result by id, once the process has ended (or been killed)."""
        try:
            _, stderr = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        found = {}
        for line in self.results.read_text(encoding="utf-8").splitlines():
            result = json.loads(line)
            found[result["id"]] = result
        found["stderr"] = {"text": stderr, "code": self.process.returncode}
        return found


def runner_env() -> dict[str, str]:
    """The environment of a runner: this checkout first on the path, no MASHAGPT_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASHAGPT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PageRun]]:
    """Start one runner per page at once; kill whatever is left at the end."""
    started = {}
    for page in sorted({block.page for block in RUNNABLE}):
        workdir = tmp_path_factory.mktemp(Path(page).stem)
        blocks = [
            {"id": b.id, "code": b.code, "markers": sorted(b.markers)}
            for b in RUNNABLE
            if b.page == page
        ]
        (workdir / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, str(RUNNER), "blocks.json", "results.jsonl"],
            cwd=workdir,
            env=runner_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        started[page] = PageRun(process, workdir / "results.jsonl")
    yield started
    for run in started.values():
        if run.process.poll() is None:
            run.process.kill()
        run.process.communicate()


@pytest.fixture(scope="module")
def results(runs: dict[str, PageRun]) -> dict[str, dict[str, dict[str, Any]]]:
    """Results by page, each page awaited once."""
    return {page: run.wait() for page, run in runs.items()}


def check_lines(block: Block, stdout: str) -> list[str]:
    """The `# -> text` comments not printed, in order, each matching a whole printed line."""
    lines = [line.strip() for line in stdout.splitlines()]
    missing = []
    position = 0
    for expected in block.expected_lines:
        want = pattern(expected)
        hit = next((i for i in range(position, len(lines)) if want.fullmatch(lines[i])), None)
        if hit is None:
            missing.append(expected)
        else:
            position = hit + 1
    return missing


def test_the_pages_have_blocks_and_few_are_not_run() -> None:
    assert len(BLOCKS) >= 50
    not_run = [block for block in BLOCKS if "no-run" in block.markers]
    assert len(not_run) <= MAX_NO_RUN, [block.id for block in not_run]
    assert all(block.reason for block in not_run), "every no-run marker gives its reason"


def test_continues_follows_a_block_of_the_same_page() -> None:
    firsts = {block.page: block for block in reversed(BLOCKS)}
    wrong = [block.id for block in firsts.values() if "continues" in block.markers]
    assert not wrong, f"the first block of a page cannot continue: {wrong}"


def test_the_russian_tool_call_blocks_are_found() -> None:
    found = [b.id for b in BLOCKS if RUSSIAN_QUESTION in b.code and "bind_tools" in b.code]
    assert [block_id.split(":")[0] for block_id in found] == ["README.ru.md", "docs/tools.md"]


@pytest.mark.parametrize("block", [pytest.param(block, id=block.id) for block in RUNNABLE])
def test_block_runs_and_prints_what_the_page_shows(
    block: Block, results: dict[str, dict[str, dict[str, Any]]]
) -> None:
    page = results[block.page]
    result = page.get(block.id)
    assert result is not None, f"{block.id} never finished:\n{page['stderr']['text'][-4000:]}"
    assert result["error"] is None, f"{block.id} failed:\n{result['error']}"
    stdout = result["stdout"]
    if block.output is not None:
        assert pattern(block.output).fullmatch(stdout), (
            f"{block.id} printed\n{stdout}\nwhere the page shows\n{block.output}"
        )
    missing = check_lines(block, stdout)
    assert not missing, f"{block.id} did not print {missing}; it printed:\n{stdout}"
    if "live" in block.markers:
        assert result["sent"], f"{block.id} is marked live but sent nothing to MASHAGPT_BASE_URL"
