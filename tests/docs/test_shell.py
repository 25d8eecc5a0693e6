"""The shell blocks of README.md, README.ru.md and docs/ name things that exist.

Installing and starting things takes minutes, so each command is checked as far as is quick:
`make` targets are in the Makefile, `pip install` extras are in pyproject.toml, files exist,
exported variables are the two the package reads, every `--option` given to the package's
commands (and to pytest) is in their `--help`, and the emulator's command starts and prints
what docs/testing.md shows. A command the test does not know fails, so a new one gets checked.
A `# or: COMMAND` comment is checked as a command too.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib

import pytest

from tests.docs.blocks import PAGES, ROOT, Block, parse, shell_blocks

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SCRIPTS = {name: value.split(":")[0] for name, value in PYPROJECT["project"]["scripts"].items()}
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
TARGETS = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
VARIABLES = {"MASHAGPT_API_KEY", "MASHAGPT_BASE_URL"}
OUTSIDE = {"git", "cd", "zip", "grep"}  # other programs: nothing of ours to check

BLOCKS = [block for page in PAGES for block in shell_blocks(page)]


def commands(block: Block) -> list[list[str]]:
    """Each command of the block, as words; `&&` separates, `# or: CMD` adds one."""
    found = []
    for line in block.code.splitlines():
        code, _, comment = line.partition("#")
        alternative = re.search(r"\bor: (.+)$", comment)
        for text in [code, alternative.group(1) if alternative else ""]:
            words = shlex.split(text.replace("<", "'<").replace(">", ">'"))
            while words:
                command, _, words = _split(words)
                found.append(command)
    return found


def _split(words: list[str]) -> tuple[list[str], str, list[str]]:
    if "&&" in words:
        at = words.index("&&")
        return words[:at], "&&", words[at + 1 :]
    return words, "", []


@functools.cache
def help_text(*program: str) -> str:
    """`PROGRAM --help`, run from docs/."""
    done = subprocess.run(
        [*program, "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT / "docs"
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def options_missing(program: tuple[str, ...], words: list[str]) -> list[str]:
    """The `--options` among `words` that `PROGRAM --help` does not list."""
    text = help_text(*program)
    used = [word.split("=")[0] for word in words if word.startswith("--")]
    return [option for option in used if not re.search(rf"{re.escape(option)}\b", text)]


def problems(command: list[str]) -> list[str]:
    """What does not exist among what the command names; [] when everything does."""
    program, *args = command
    if program in SCRIPTS:
        return options_missing((sys.executable, "-m", SCRIPTS[program]), args)
    if program == "make":
        return [f"no make target {t!r}" for t in args if t not in TARGETS]
    if program == "export":
        return [f"{a} is not read by the package" for a in args if a.split("=")[0] not in VARIABLES]
    if program == "pip":
        extras = [e for a in args for e in re.findall(r"\[([\w,-]+)\]", a)]
        return [f"no extra {e!r}" for x in extras for e in x.split(",") if e not in EXTRAS]
    if program == "python" and args[:1] == ["-m"]:
        module = args[1]
        if importlib.util.find_spec(module) is None:
            return [f"no module {module}"]
        return options_missing((sys.executable, "-m", module), args[2:])
    if program == "python":
        return [] if (ROOT / args[0]).is_file() else [f"no file {args[0]}"]
    if program == "pytest":
        paths = [a for a in args if not a.startswith("-")]
        missing = [f"no file {p}" for p in paths if not (ROOT / p).exists()]
        return missing + options_missing((sys.executable, "-m", "pytest"), args)
    if program in OUTSIDE:
        return []
    return [f"the docs test does not know {program!r}: teach tests/docs/test_shell.py"]


def test_the_pages_have_shell_blocks_and_the_scripts_are_the_modules() -> None:
    assert len(BLOCKS) >= 15
    assert SCRIPTS == {
        "mashagpt-emulator": "langchain_mashagpt.testing",
        "mashagpt-check": "langchain_mashagpt.check",
    }


def test_an_unknown_command_or_option_is_reported() -> None:
    (block,) = parse("```bash\nmake nope  # or: mashagpt-check --nope\nfrobnicate\n```\n", "p.md")
    found = [problems(command) for command in commands(block)]
    assert found == [
        ["no make target 'nope'"],
        ["--nope"],
        ["the docs test does not know 'frobnicate': teach tests/docs/test_shell.py"],
    ]


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in BLOCKS])
def test_shell_block_names_what_exists(block: Block) -> None:
    found = {shlex.join(c): problems(c) for c in commands(block)}
    assert found
    assert not {c: p for c, p in found.items() if p}, block.code


def test_the_emulator_command_prints_what_the_testing_page_shows() -> None:
    (block,) = [b for b in BLOCKS if b.id.startswith("docs/testing.md") and "--port" in b.code]
    shown = [line.removeprefix("# ") for line in block.code.splitlines()[1:]]
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_mashagpt.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline().rstrip("\n") for _ in shown]
    finally:
        process.kill()
        process.communicate()
    assert [re.sub(r":\d+/", ":8000/", line) for line in printed] == shown
