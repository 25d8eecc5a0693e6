"""Where a key could leak from an exception: its text, and its traceback printed with locals.

`formatted` renders an exception the ways error trackers and debuggers do: the
standard library's `TracebackException(capture_locals=True)` and rich's
`Traceback(show_locals=True)` (Sentry's frame locals are the same `repr`s).
"""

from __future__ import annotations

import io
import traceback

from rich.console import Console
from rich.traceback import Traceback


def formatted(exc: BaseException) -> str:
    """`exc` as text, its chain and every frame's locals included, by both printers."""
    stdlib = "".join(
        traceback.TracebackException(
            type(exc), exc, exc.__traceback__, capture_locals=True
        ).format()
    )
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(
        Traceback.from_exception(
            type(exc),
            exc,
            exc.__traceback__,
            show_locals=True,
            locals_max_length=1000,
            locals_max_string=100_000,
            max_frames=1000,
        )
    )
    assert isinstance(console.file, io.StringIO)
    return stdlib + console.file.getvalue()


def pieces(key: str, size: int = 6) -> set[str]:
    """Every `size`-character piece of `key`."""
    return {key[i : i + size] for i in range(len(key) - size + 1)}


def assert_no_piece(key: str, *texts: str) -> None:
    """No text holds `key` or any 6-character piece of it."""
    for text in texts:
        found = sorted(p for p in pieces(key) if p in text)
        assert not found, f"key piece {found[0]!r} in …{text[text.index(found[0]) - 200 :][:400]}"
