"""What docs/configuration.md says of `init_chat_model` holds, and its instance form works."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from langchain.chat_models import init_chat_model

from langchain_mashagpt import ChatMashaGPT
from tests.unit_tests.helpers import MockServer, Runner, completion

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_init_chat_model_cannot_load_this_package() -> None:
    with pytest.raises(ValueError, match="Unable to infer model provider"):
        init_chat_model("mashagpt:gpt-4o-mini")
    with pytest.raises(ValueError, match="Unsupported provider='mashagpt'"):
        init_chat_model("gpt-4o-mini", model_provider="mashagpt")


async def test_the_instance_form_on_the_page_runs(server: MockServer, run: Runner) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(PAGE), "exec"), namespace)
    assert isinstance(namespace["model"], ChatMashaGPT)
    server.json(completion())
    switchable = server.model(model="gpt-4o-mini").configurable_fields(
        model=namespace["ConfigurableField"](id="model")
    )
    config: Any = {"configurable": {"model": "claude-3-5-sonnet"}}
    await run.invoke(switchable, "Hi", config=config)
    assert server.body["model"] == "claude-3-5-sonnet"
