"""Tool results as text: media blocks become a short placeholder, never base64 text.

The API takes text only. A tool that returns an image, audio or a file (MCP
tools do) would otherwise be sent as its base64 data in JSON, costing
hundreds of thousands of tokens to say nothing the model can read. Each such
block is replaced by a placeholder naming what was left out, and a warning is
given once per kind of block. Pure, apart from that warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from langchain_mashagpt._json import dumps

__all__ = ["MEDIA_BLOCKS", "tool_result_text"]

MEDIA_BLOCKS = {  # content block type → what it holds
    "image": "image",
    "image_url": "image",
    "audio": "audio",
    "input_audio": "audio",
    "video": "video",
    "file": "file",
    "document": "file",
}
_WARNED: set[str] = set()


def _placeholder(block: dict[str, Any]) -> str:
    kind = MEDIA_BLOCKS[block["type"]]
    nested = block["file"] if isinstance(block.get("file"), dict) else {}
    source = block["source"] if isinstance(block.get("source"), dict) else {}
    url = block.get("url") or source.get("url")
    details = [
        detail
        for detail in (
            block.get("mime_type") or source.get("media_type"),
            block.get("filename") or block.get("name") or nested.get("filename"),
            url if isinstance(url, str) and not url.startswith("data:") else None,
        )
        if isinstance(detail, str) and detail
    ]
    described = f"{kind} ({', '.join(details)})" if details else kind
    if kind not in _WARNED:
        _WARNED.add(kind)
        warnings.warn(
            f"A tool result holds {kind} content, which the MashaGPT API cannot take: it was "
            f"sent as a placeholder naming it. Return text from the tool to send its content. "
            f"(Said once per process.)",
            UserWarning,
            stacklevel=2,
        )
    return f"[{described} left out: the MashaGPT API takes text only]"


def tool_result_text(content: str | Sequence[str | dict[str, Any]]) -> str:
    """The text a tool result is sent as.

    Text blocks are joined with a newline; media blocks become placeholders; any other block
    makes the whole result go as JSON (with the placeholders in place of media).
    """
    if isinstance(content, str):
        return content
    blocks: list[str | dict[str, Any]] = [
        {"type": "text", "text": _placeholder(b)}
        if isinstance(b, dict) and b.get("type") in MEDIA_BLOCKS
        else b
        for b in content
    ]
    if all(
        isinstance(b, str) or (b.get("type") == "text" and isinstance(b.get("text"), str))
        for b in blocks
    ):
        # One block per line, as an MCP tool's several text contents read.
        return "\n".join(b if isinstance(b, str) else b["text"] for b in blocks)
    return dumps(blocks).decode()  # structured results go as JSON text
