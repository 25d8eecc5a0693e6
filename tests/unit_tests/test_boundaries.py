"""The package's import boundaries, read from its source (no module is imported).

1. Only `langchain_mashagpt/_http/` imports an HTTP library (`httpx`, `httpx2`,
   `httpcore`, `httpcore2`, `h11`), in any form: `import x`, `from x import y`,
   `importlib.import_module("x")`, `__import__("x")`, under `TYPE_CHECKING` too.
2. `langchain_mashagpt/_functions/` is a leaf: nothing in it imports `_http`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import langchain_mashagpt

PACKAGE = Path(langchain_mashagpt.__file__).parent
ROOT = PACKAGE.parent
HTTP_LIBRARIES = frozenset({"httpx", "httpx2", "httpcore", "httpcore2", "h11"})
_IMPORT_FUNCTIONS = frozenset({"import_module", "__import__"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """`(line, absolute module name)` for every import in `source`, the module named `module`.

    `from x import y` gives `x.y` (`y` may be a module); relative imports are
    resolved; `import_module`/`__import__` count when their name is a literal,
    and a name that is not a literal is given as `?`.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and _called_name(node.func) in _IMPORT_FUNCTIONS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value
            else:
                yield node.lineno, "?"


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _modules() -> Iterator[tuple[Path, str, str, bool]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py"


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _http_library_imports_outside_http() -> list[str]:
    found = []
    for path, source, module, is_package in _modules():
        if _inside(module, "langchain_mashagpt._http"):
            continue
        for line, name in imports(source, module, is_package):
            if name.partition(".")[0] in HTTP_LIBRARIES or name == "?":
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    return found


def _http_imports_from_functions() -> list[str]:
    found = []
    for path, source, module, is_package in _modules():
        if not _inside(module, "langchain_mashagpt._functions"):
            continue
        for line, name in imports(source, module, is_package):
            if _inside(name, "langchain_mashagpt._http"):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    return found


def test_only_http_imports_an_http_library() -> None:
    found = _http_library_imports_outside_http()
    assert not found, (
        "Only langchain_mashagpt/_http/ may import httpx, httpx2, httpcore or h11; "
        "move what these need behind a function or type of _http/:\n" + "\n".join(found)
    )


def test_functions_import_nothing_from_http() -> None:
    found = _http_imports_from_functions()
    assert not found, (
        "langchain_mashagpt/_functions/ is a leaf and imports nothing from _http/:\n"
        + "\n".join(found)
    )


def test_the_walk_sees_the_whole_package() -> None:
    names = {module for _, _, module, _ in _modules()}
    assert {"langchain_mashagpt", "langchain_mashagpt._http.transport"} <= names
    assert any(_inside(name, "langchain_mashagpt._functions") for name in names)
    assert any(_inside(name, "langchain_mashagpt.check") for name in names)


VIOLATIONS = [
    ("import httpx", "httpx"),
    ("import httpcore.backends as b", "httpcore.backends"),
    ("from h11 import Connection", "h11.Connection"),
    ("if TYPE_CHECKING:\n    import httpx2", "httpx2"),
    ("import importlib\nimportlib.import_module('httpx')", "httpx"),
    ("from importlib import import_module\nimport_module('httpcore2')", "httpcore2"),
    ("__import__('h11')", "h11"),
    ("name = 'httpx'\n__import__(name)", "?"),
]


@pytest.mark.parametrize(("source", "name"), VIOLATIONS)
def test_every_form_of_import_is_seen(source: str, name: str) -> None:
    found = [imported for _, imported in imports(source, "langchain_mashagpt.chat_models")]
    assert name in found


@pytest.mark.parametrize(
    ("source", "module", "is_package"),
    [
        ("from langchain_mashagpt._http.transport import Transport", "x._functions.plan", False),
        ("from .._http import transport", "langchain_mashagpt._functions.plan", False),
        ("from .. import _http", "langchain_mashagpt._functions.plan", False),
        ("from .._http.urls import x", "langchain_mashagpt._functions", True),
        ("import langchain_mashagpt._http.urls", "langchain_mashagpt._functions.plan", False),
    ],
)
def test_an_import_of_http_is_seen_relative_or_not(
    source: str, module: str, is_package: bool
) -> None:
    found = [name for _, name in imports(source, module, is_package)]
    assert any(_inside(name, "langchain_mashagpt._http") for name in found), found
