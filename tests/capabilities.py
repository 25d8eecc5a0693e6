"""What the MashaGPT API can do, as langchain-tests' standard suites ask it: said once."""

from __future__ import annotations

from langchain_mashagpt import ChatMashaGPT


class MashaGPTCapabilities:
    """Mixed into the unit and the integration standard test classes."""

    @property
    def chat_model_class(self) -> type[ChatMashaGPT]:
        return ChatMashaGPT

    @property
    def has_tool_calling(self) -> bool:
        return True  # over the legacy `functions` protocol

    @property
    def has_tool_choice(self) -> bool:
        return True  # `function_call`; "any" with several tools through the dispatcher

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return False  # no `response_format`: json_mode only parses text the prompt asked for

    @property
    def supports_model_override(self) -> bool:
        return True  # `model` is a per-request field of the API, an aggregator of models

    @property
    def model_override_value(self) -> str:
        return "gpt-4o"

    # The API's message `content` is a string: it takes text only.
    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False
