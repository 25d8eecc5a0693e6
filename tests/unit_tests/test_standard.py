"""langchain-tests' standard unit tests for `ChatMashaGPT`."""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import pytest
from langchain_core.load import dumpd, load
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_mashagpt import ChatMashaGPT
from tests.capabilities import MashaGPTCapabilities


class TestChatMashaGPTStandard(MashaGPTCapabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gpt-4o-mini", "api_key": "sk-standard-test"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        env = {"MASHAGPT_API_KEY": "sk-from-env", "MASHAGPT_BASE_URL": "https://gw.example/v1"}
        expected = {"api_key": "sk-from-env", "base_url": "https://gw.example/v1"}
        return env, {"model": "gpt-4o"}, {**expected, "model": "gpt-4o"}

    @pytest.mark.xfail(
        reason="langchain-core's loader admits only the classes in its own mapping, even "
        "with allowed_objects='all', so no third-party model passes the load step; the "
        "dumpd snapshot is checked first, and test_round_trip_when_allowed loads it",
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: ChatMashaGPT, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)

    @pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
    def test_round_trip_when_allowed(self, model: ChatMashaGPT) -> None:
        with mock.patch.dict(os.environ, {"MASHAGPT_API_KEY": "sk-from-env"}):
            loaded = load(
                dumpd(model),
                valid_namespaces=["langchain_mashagpt"],
                allowed_objects=[ChatMashaGPT],
                secrets_from_env=True,
            )
        assert isinstance(loaded, ChatMashaGPT)
        assert loaded.model_dump(exclude={"api_key"}) == model.model_dump(exclude={"api_key"})
        assert loaded.api_key is not None
        assert loaded.api_key.get_secret_value() == "sk-from-env"
