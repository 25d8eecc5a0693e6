"""A SOCKS proxy in the environment without `socksio`: an error that says what to install.

`ALL_PROXY=socks5://…` made httpx raise a bare `ImportError` telling to install
`httpx[socks]` from deep inside the first call; the package's own extra is `socks`.
"""

from __future__ import annotations

import sys

import pytest

from langchain_mashagpt import ChatMashaGPT, MashaGPTError, MissingDependencyError
from tests.helpers import Runner
from tests.reliability.helpers import answer


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("variable", ["ALL_PROXY", "HTTPS_PROXY", "all_proxy"])
async def test_a_socks_proxy_without_socksio_names_the_extra(
    run: Runner, monkeypatch: pytest.MonkeyPatch, mode: str, variable: str
) -> None:
    monkeypatch.setitem(sys.modules, "socksio", None)  # as if not installed
    for name in (
        "ALL_PROXY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "all_proxy",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "socks5://proxy-user:proxy-secret@127.0.0.1:9")
    # A timeout of its own: a new pooled client is built, reading the environment.
    model = ChatMashaGPT(
        api_key="sk-socks-test", base_url="https://api.example.test/v1", timeout=7.125
    )
    with pytest.raises(MissingDependencyError) as info:
        await answer(run, model, mode)
    text = str(info.value)
    assert "pip install 'langchain-mashagpt[socks]'" in text
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, MashaGPTError)
    assert "proxy-secret" not in text
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_the_socks_extra_is_declared() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["socks"] == ["socksio>=1.0"]
