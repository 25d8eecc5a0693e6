"""langchain-tests' standard integration tests for `ChatMashaGPT`, replayed from cassettes.

Every test runs on a cassette in `tests/cassettes/test_standard/` (see `conftest.py`).
langchain-tests skips its tests of inputs the API does not take (images, PDFs,
audio); `test_*_inputs_are_refused` check that `ChatMashaGPT` refuses them with a
`ValueError` before sending.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_mashagpt import ChatMashaGPT
from tests.capabilities import MashaGPTCapabilities
from tests.integration_tests.conftest import MODEL, Connection

if TYPE_CHECKING:
    from vcr.cassette import Cassette

_DATA = base64.b64encode(b"not really a file").decode()
_TEXT_ONLY = "MashaGPT API takes text only"


def _refused(model: ChatMashaGPT, vcr: Cassette | None, *blocks: dict[str, Any]) -> None:
    """Each block, next to a text block, is refused before anything is sent."""
    for block in blocks:
        message = HumanMessage([{"type": "text", "text": "Describe this:"}, block])
        with pytest.raises(ValueError, match=_TEXT_ONLY):
            model.invoke([message])
    assert vcr is not None
    assert len(vcr) == 0, "a refused input must not reach the API"


class TestChatMashaGPTIntegration(MashaGPTCapabilities, ChatModelIntegrationTests):
    connection: Connection

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "temperature": 0,
            "max_retries": 0,
            "base_url": self.connection.base_url,
            "api_key": self.connection.api_key,
        }

    @pytest.fixture(autouse=True)
    def _connect(self, mashagpt_connection: Connection) -> None:
        """Point every model of the test (not only `model`) where this run sends requests."""
        self.connection = mashagpt_connection

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    # The API's message `content` is a string. langchain-tests skips its image, PDF and
    # audio tests (it forbids overriding them); these check the refusal instead.

    def test_image_inputs_are_refused(self, model: ChatMashaGPT, vcr: Cassette | None) -> None:
        _refused(
            model,
            vcr,
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_DATA}"}},
            {"type": "image", "base64": _DATA, "mime_type": "image/png"},
            {"type": "image", "url": "https://example.com/diagram.png"},
        )

    def test_pdf_inputs_are_refused(self, model: ChatMashaGPT, vcr: Cassette | None) -> None:
        _refused(
            model,
            vcr,
            {"type": "file", "base64": _DATA, "mime_type": "application/pdf"},
            {
                "type": "file",
                "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{_DATA}"},
            },
        )

    def test_audio_inputs_are_refused(self, model: ChatMashaGPT, vcr: Cassette | None) -> None:
        _refused(
            model,
            vcr,
            {"type": "audio", "base64": _DATA, "mime_type": "audio/wav"},
            {"type": "input_audio", "input_audio": {"data": _DATA, "format": "wav"}},
        )
