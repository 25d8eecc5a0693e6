"""Tests take the HTTP library from itself (`import httpx`), never from the package's modules."""

from __future__ import annotations

import ast
from pathlib import Path

_LIBRARIES = {"httpx", "httpx2", "httpcore", "h11"}


def _borrowed(path: Path) -> list[str]:
    """`from langchain_mashagpt... import httpx` (or another HTTP library) in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("langchain_mashagpt")
        and any(alias.name in _LIBRARIES for alias in node.names)
    ]


def test_no_test_imports_the_http_library_through_the_package() -> None:
    found = [hit for path in sorted(Path(__file__).parent.rglob("*.py")) for hit in _borrowed(path)]
    assert not found, f"import the HTTP library directly (`import httpx`): {found}"
