"""Ways a real service may differ from the API page, for the emulator to play.

```python
from langchain_mashagpt.testing import Deviations, MashaGPTEmulator

with MashaGPTEmulator(deviations=Deviations(usage_on_finish_chunk=True)) as emu:
    ...  # a stream's usage now rides on the chunk that ends the choice
```

Each flag bends one thing the package assumes, the way an OpenAI-compatible
gateway might; `mashagpt-check` must report each as "differs", never crash.
All are off by default: the emulator then speaks the API page strictly.
The functions here are pure: the server calls them on what it would send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_mashagpt._convert.usage import ENERGY_KEYS
from langchain_mashagpt.testing._errors import ApiError

__all__ = ["Deviations"]


@dataclass(frozen=True)
class Deviations:
    """Which deviations from the API page the emulator plays (all off by default).

    Attributes:
        usage_on_finish_chunk: A stream's usage rides on the chunk that ends
            the choice instead of on a last chunk with `choices: []`.
        refuse_stream_options: A request with `stream_options` is refused with
            a 400 whose `param` is `stream_options`.
        no_stream_energy: A stream's usage has token counts but no energy.
        tool_calls_stream: A streamed function call comes as OpenAI's
            `delta.tool_calls` list instead of `delta.function_call` pieces.
        detail_error_body: Error answers are `{"detail": "<message>"}` instead
            of `{"error": {message, type, param, code}}`.
    """

    usage_on_finish_chunk: bool = False
    refuse_stream_options: bool = False
    no_stream_energy: bool = False
    tool_calls_stream: bool = False
    detail_error_body: bool = False

    def check_request(self, body: Any) -> None:
        """Refuse a valid request the deviating service would not take.

        Raises:
            ApiError: `refuse_stream_options` is on and the body has `stream_options`.
        """
        if self.refuse_stream_options and isinstance(body, dict) and "stream_options" in body:
            raise ApiError(
                400,
                "Unrecognized request argument supplied: stream_options",
                param="stream_options",
            )

    def error_body(self, error: ApiError) -> dict[str, Any]:
        """The JSON body of an error answer."""
        if self.detail_error_body:
            return {"detail": error.message}
        return error.body()

    def stream(self, chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The chunks of a stream (usage chunk included), as the deviating service sends them."""
        if self.usage_on_finish_chunk and chunks and chunks[-1]["choices"] == []:
            usage = chunks.pop()["usage"]
            finishing = next(c for c in reversed(chunks) if c["choices"])
            finishing["usage"] = usage
        if self.no_stream_energy:
            for chunk in chunks:
                if chunk.get("usage"):
                    chunk["usage"] = {
                        k: v for k, v in chunk["usage"].items() if k not in ENERGY_KEYS
                    }
        if self.tool_calls_stream:
            for chunk in chunks:
                for choice in chunk["choices"]:
                    _as_tool_calls(choice["delta"], chunk["id"])
        return chunks


def _as_tool_calls(delta: dict[str, Any], stream_id: str) -> None:
    call = delta.pop("function_call", None)
    if call is None:
        return
    item: dict[str, Any] = {"index": 0, "function": dict(call)}
    if "name" in call:
        item.update(id=f"call_{stream_id[-8:]}", type="function")
    delta["tool_calls"] = [item]
