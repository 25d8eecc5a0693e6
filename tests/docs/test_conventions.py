"""The docs test reads markers and expected output the way `tests/docs/blocks.py` says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.blocks import Block, parse, pattern
from tests.docs.test_blocks import RUNNER, TIMEOUT, check_lines, runner_env

PAGE = """\
# A page

```python
x = 1
print(x)  # -> 1
```

<!-- continues -->
<!-- live -->
```python
print(x + 1)
# -> 2 …
```

```text
2 and more
```

<!-- pytest -->
```python
# test_x.py
def test_x():
    pass
```

- In a list:

  ```python
  # test_x.py
  def test_x():
      pass
  ```

<!-- no-run: needs a GPU -->
```python
import cuda
```

<!-- no-run -->
```bash
make demo
```
"""


def blocks() -> list[Block]:
    return parse(PAGE, "page.md")


def test_markers_outputs_and_indented_fences_are_read() -> None:
    first, second, _, tested, listed, gpu, shell = blocks()
    assert (first.line, first.markers, first.output) == (3, frozenset(), None)
    assert first.expected_lines == ["1"]
    assert second.markers == {"continues", "live"}
    assert second.output == "2 and more\n"
    assert second.expected_lines == ["2 …"]
    assert tested.markers == {"pytest"}
    assert tested.code == "# test_x.py\ndef test_x():\n    pass\n"
    assert listed.code == tested.code
    assert (gpu.markers, gpu.reason) == (frozenset({"no-run"}), "needs a GPU")
    assert (shell.language, shell.markers, shell.reason) == ("bash", frozenset({"no-run"}), "")


def test_an_unknown_marker_is_an_error_naming_the_block() -> None:
    with pytest.raises(ValueError, match=r"page\.md:2: unknown marker 'contineus'"):
        parse("<!-- contineus -->\n```python\npass\n```\n", "page.md")


def test_a_marker_in_a_list_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"page\.md:3: an indented marker ends the list"):
        parse("- item\n  <!-- live -->\n  ```python\n  pass\n  ```\n", "page.md")


def test_other_comments_further_up_are_not_markers() -> None:
    (block,) = parse("<!-- continues -->\n\n```python\npass\n```\n", "page.md")
    assert block.markers == frozenset()


@pytest.mark.parametrize(
    ("expected", "text", "matches"),
    [
        ("call_…", "call_0a1b", True),
        ("[{'a': 1}, …]", "[{'a': 1}, {'b': 2}]", True),
        ("a.b", "axb", False),  # literal, not a regular expression
        ("…ok", "not ok at all", False),
    ],
)
def test_an_ellipsis_stands_for_any_text_and_nothing_else_is_special(
    expected: str, text: str, matches: bool
) -> None:
    assert bool(pattern(expected).fullmatch(text)) is matches


def test_expected_lines_must_be_printed_whole_and_in_order() -> None:
    block = parse("```python\n# -> b\n# -> a\n# -> c…\n```\n", "page.md")[0]
    assert check_lines(block, "a\n  b\nc d\n") == ["a"]
    assert check_lines(block, "b\na\ncc\n") == []
    assert check_lines(block, "xb\na\nc\n") == ["b"]


RUN_PAGE = """\
```python
x = 41
print(x + 1)  # -> 42
```

<!-- continues -->
```python
print(x)  # -> 42
```

```python
print(x)
```

<!-- pytest -->
```python
# test_fails.py
def test_fails():
    assert False
```

<!-- live -->
```python
from langchain_mashagpt import ChatMashaGPT

print(ChatMashaGPT().invoke("What is 6 * 7?").content)  # -> 6 * 7 = 42.
```
"""


def test_the_runner_reports_each_block_and_goes_on_after_a_failure(tmp_path: Path) -> None:
    blocks = parse(RUN_PAGE, "run.md")
    (tmp_path / "blocks.json").write_text(
        json.dumps([{"id": b.id, "code": b.code, "markers": sorted(b.markers)} for b in blocks])
    )
    done = subprocess.run(
        [sys.executable, str(RUNNER), "blocks.json", "results.jsonl"],
        cwd=tmp_path,
        env=runner_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    results = {r["id"]: r for r in map(json.loads, lines)}
    first, second, fresh, failing, live = (results[b.id] for b in blocks)
    assert (first["error"], first["stdout"], check_lines(blocks[0], first["stdout"])) == (
        None,
        "42\n",
        [],
    )
    assert check_lines(blocks[1], second["stdout"]) == ["42"]  # it printed 41
    assert "NameError: name 'x' is not defined" in fresh["error"]
    assert "pytest --record-mode=once exited 1" in failing["error"]
    assert "assert False" in failing["error"]
    assert (live["error"], live["stdout"], live["sent"]) == (None, "6 * 7 = 42.\n", 1)
