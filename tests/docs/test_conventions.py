"""The docs test reads markers and expected output the way `tests/docs/blocks.py` says."""

from __future__ import annotations

import pytest

from tests.docs.blocks import Block, parse, pattern
from tests.docs.test_blocks import check_lines

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
