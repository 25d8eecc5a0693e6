"""The code blocks of README.md, README.ru.md and docs/*.md, with their markers and outputs.

A block runs alone, in a fresh namespace, unless an HTML comment on the line right above its
fence says otherwise (comments render as nothing on GitHub and in mkdocs; not inside a list,
which a comment ends in mkdocs):

- `<!-- continues -->`: runs after the page's previous Python block, in its namespace;
- `<!-- live -->`: written for the live API, it reads `MASHAGPT_API_KEY` and
  `MASHAGPT_BASE_URL`; the test points them at the emulator and checks the block used them;
- `<!-- pytest -->`: a test file, named by its first line (`# test_x.py`), written to the
  page's directory; a group of such blocks (the first, then `continues`) is run by pytest
  with `--record-mode=once` and, when that recorded cassettes, again replaying them, as
  docs/testing.md tells users to;
- `<!-- no-run: reason -->`: not run at all; the reason is required.

What a block prints is checked two ways. A ```text block right below it (nothing but blank
lines between) is its whole output. A `# -> text` comment is a line it prints, in order with
the others. In both, `…` stands for any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "README.ru.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKERS = ("continues", "live", "pytest", "no-run")

_FENCE = re.compile(r"^([ \t]*)```(\w*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
_COMMENT = re.compile(r"^\s*<!--\s*([\w-]+)\s*(?::\s*(.*?))?\s*-->\s*$")
_EXPECT = re.compile(r"#\s*->\s*(.+?)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    """The page's path from the repository root."""
    line: int
    """The line of its opening fence."""
    language: str
    code: str
    """The code, with the fence's indentation removed."""
    markers: frozenset[str]
    reason: str = ""
    """Why a `no-run` block is not run."""
    output: str | None = None
    """The ```text block right below it: what it prints."""

    @property
    def id(self) -> str:
        """`page:line`, as a test id and in messages."""
        return f"{self.page}:{self.line}"

    @property
    def expected_lines(self) -> list[str]:
        """The `# -> text` comments, in order."""
        return [m.group(1) for m in map(_EXPECT.search, self.code.splitlines()) if m]


def _markers(text: str, start: int, where: str) -> tuple[frozenset[str], str]:
    """The marker comments on the lines right above the fence that starts at `start`."""
    found: set[str] = set()
    reason = ""
    lines = text[:start].splitlines()
    while lines and (comment := _COMMENT.match(lines[-1])):
        name, argument = comment.group(1), comment.group(2) or ""
        if name not in MARKERS:
            raise ValueError(f"{where}: unknown marker {name!r}; use one of {MARKERS}")
        if lines[-1][:1].isspace():
            raise ValueError(
                f"{where}: an indented marker ends the list it is in, in mkdocs (an HTML "
                "comment closes a list): put the block outside the list"
            )
        if name == "no-run":
            reason = argument
        found.add(name)
        lines.pop()
    return frozenset(found), reason


def _dedent(code: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in code.splitlines(keepends=True))


def page_blocks(path: Path) -> list[Block]:
    """Every fenced block of one page of the repository, in order."""
    return parse(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def parse(text: str, page: str) -> list[Block]:
    """Every fenced block of a page's text, in order."""
    matches = list(_FENCE.finditer(text))
    blocks = []
    for index, match in enumerate(matches):
        indent, language, code = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        markers, reason = _markers(text, match.start(), f"{page}:{line}")
        output = None
        if index + 1 < len(matches):
            after = matches[index + 1]
            if after.group(2) == "text" and not text[match.end() : after.start()].strip():
                output = _dedent(after.group(3), after.group(1))
        blocks.append(Block(page, line, language, _dedent(code, indent), markers, reason, output))
    return blocks


def python_blocks(path: Path) -> list[Block]:
    """The page's ```python blocks."""
    return [block for block in page_blocks(path) if block.language == "python"]


def shell_blocks(path: Path) -> list[Block]:
    """The page's ```bash blocks."""
    return [block for block in page_blocks(path) if block.language in ("bash", "sh", "shell")]


def pattern(expected: str) -> re.Pattern[str]:
    """A regular expression for expected text: literal, with `…` matching anything."""
    return re.compile(".*?".join(map(re.escape, expected.split("…"))), re.DOTALL)
