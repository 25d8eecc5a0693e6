"""Pure conversion of answers: `chat.completion` → `ChatResult`, chunks → `ChatGenerationChunk`.

`chat_result` and `StreamConverter`, shared by the sync and async paths; usage
and energy go to `usage_metadata` and `response_metadata["token_usage"]`. An
answer of the wrong shape raises `APIResponseValidationError`. No I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_mashagpt import _usage
from langchain_mashagpt._extras import answer_metadata, chunk_metadata, delta_calls, function_calls
from langchain_mashagpt._json import dumps, loads
from langchain_mashagpt._tools import dispatched_tools, unwrap_call
from langchain_mashagpt.errors import APIResponseValidationError

__all__ = ["PROVIDER", "StreamConverter", "chat_result", "sum_llm_outputs", "usage_metadata"]

PROVIDER = "mashagpt"


def usage_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    """LangChain's token counts from the API's `usage` object (checked: see `_usage`)."""
    return _usage.usage_metadata(_usage.checked_usage(usage))


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _parse_call(name: str, raw: str, tools: frozenset[str]) -> tuple[str, Any, str | None]:
    """`(name, args, error)` of a whole function call; see `unwrap_call`."""
    if not name:
        return name, raw, "the function call has no name"
    try:
        args = loads(raw) if raw.strip() else {}
    except ValueError as exc:
        return name, raw, f"arguments are not JSON: {exc}"
    return unwrap_call(name, args, tools)


def _ai_message(message: Mapping[str, Any], tools: frozenset[str], **fields: Any) -> AIMessage:
    calls: list[Any] = []
    invalid: list[Any] = []
    for call in function_calls(message):  # `function_call`, and a gateway's `tool_calls`
        raw = call.get("arguments") or ""
        if not isinstance(raw, str):  # an object instead of its JSON text
            raw = dumps(raw).decode()
        call_id = call.get("id") or _new_call_id()
        name, args, error = _parse_call(call.get("name") or "", raw, tools)
        if error is None:
            calls.append(tool_call(name=name, args=args, id=call_id))
        else:
            invalid.append(invalid_tool_call(name=name, args=raw, id=call_id, error=error))
    return AIMessage(
        content=message.get("content") or "",
        tool_calls=calls,
        invalid_tool_calls=invalid,
        **fields,
    )


# What reading an answer of the wrong shape raises (a string where the API
# documents an object, a number for a text; pydantic's errors are ValueErrors).
_MALFORMED = (AttributeError, KeyError, TypeError, ValueError)


def _malformed(exc: Exception, data: Any) -> APIResponseValidationError:
    return APIResponseValidationError(
        "MashaGPT's answer does not have the API's documented format "
        f"({type(exc).__name__}: {str(exc)[:200]}): {str(data)[:200]}",
        body=data,
    )


def chat_result(completion: dict[str, Any], payload: dict[str, Any]) -> ChatResult:
    """`ChatResult` of a `chat.completion`: one generation per choice.

    Usage goes on the first generation's message only, so that adding up
    messages never counts a request twice; `llm_output` has it too.
    """
    try:
        return _chat_result(completion, payload)
    except _MALFORMED as exc:
        raise _malformed(exc, completion) from exc


def sum_llm_outputs(outputs: list[dict[str, Any] | None], model_name: str) -> dict[str, Any]:
    """One `llm_output` for several: usage and energy added up key by key."""
    total: dict[str, Any] = {}
    for output in outputs:
        if not output:
            continue
        model_name = output.get("model_name") or model_name
        for key, value in (output.get("token_usage") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return {"token_usage": total, "model_name": model_name}


def _chat_result(completion: dict[str, Any], payload: dict[str, Any]) -> ChatResult:
    choices = completion["choices"]
    if not choices:
        raise APIResponseValidationError(
            "MashaGPT answered with an empty `choices` list: there is no answer.",
            body=completion,
        )
    usage = _usage.checked_usage(completion["usage"]) if completion.get("usage") else None
    tools = dispatched_tools(payload)
    common = {
        "model_name": completion.get("model"),
        "model_provider": PROVIDER,
        "id": completion.get("id"),
        "created": completion.get("created"),
    }
    generations = []
    for k, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise APIResponseValidationError(
                f"MashaGPT's choice {k} has no `message` object.", body=completion
            )
        finish = choice.get("finish_reason")
        metadata = {**common, "finish_reason": finish, **answer_metadata(completion, choice)}
        if usage is not None and k == 0:
            metadata["token_usage"] = usage
        ai = _ai_message(
            message,
            tools,
            id=completion.get("id"),
            response_metadata=metadata,
            usage_metadata=usage_metadata(usage) if usage is not None and k == 0 else None,
        )
        generations.append(ChatGeneration(message=ai, generation_info={"finish_reason": finish}))
    llm_output = {"token_usage": usage or {}, "model_name": completion.get("model")}
    return ChatResult(generations=generations, llm_output=llm_output)


class StreamConverter:
    """Turns one stream's chunk dicts into `ChatGenerationChunk`s (one choice).

    `model_name` and `model_provider` ride on the first chunk, `finish_reason` on
    the chunk that ends the choice and usage on the chunk that carries it, so the
    sum of the chunks has each once. A call of the dispatcher is held back and
    sent whole, unwrapped, when the choice finishes (or at `flush`).
    """

    __slots__ = ("_answered", "_args", "_call_id", "_id", "_name", "_started", "_tools", "_usage")

    def __init__(self, payload: dict[str, Any]) -> None:
        """Prepare for the stream of the request `payload`."""
        self._tools = dispatched_tools(payload)
        self._call_id: str | None = None
        self._id: str | None = None
        self._started = False
        self._answered = False
        self._usage: dict[str, Any] | None = None
        self._name = ""
        self._args = ""

    def convert(self, data: dict[str, Any]) -> ChatGenerationChunk | None:
        """The chunk for one `chat.completion.chunk`, or `None` if it carries nothing."""
        try:
            return self._convert(data)
        except _MALFORMED as exc:
            raise _malformed(exc, data) from exc

    def _convert(self, data: dict[str, Any]) -> ChatGenerationChunk | None:
        metadata: dict[str, Any] = {}
        if not self._started:
            metadata = {"model_name": data.get("model"), "model_provider": PROVIDER}
        metadata.update(chunk_metadata(data, first=not self._started))
        self._started = True
        content = ""
        tool_chunks: list[Any] = []
        choices = data["choices"]
        if choices:
            self._answered = True
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content") or ""
            call, tool_chunks = delta_calls(delta)  # `function_call`, or a gateway's `tool_calls`
            if call:
                tool_chunks = self._call_piece(call) + tool_chunks
            if finish := choice.get("finish_reason"):
                metadata["finish_reason"] = finish
                tool_chunks += self._held_call()
        usage = data.get("usage")
        if usage:
            usage = self._usage_added(_usage.checked_usage(usage))
            if usage:
                metadata["token_usage"] = usage
        if not (content or tool_chunks or metadata):
            return None
        # Only the fields a chunk has: langchain-core keeps every chunk of a stream,
        # and each field given costs time and memory (pydantic's fields-set grows).
        # The stream's id is one string shared by all its chunks, not one per chunk.
        if (stream_id := data.get("id")) != self._id:
            self._id = stream_id
        fields: dict[str, Any] = {"content": content, "id": self._id}
        if tool_chunks:
            fields["tool_call_chunks"] = tool_chunks
        if metadata:
            fields["response_metadata"] = metadata
        if usage:
            fields["usage_metadata"] = usage_metadata(usage)
        return ChatGenerationChunk(message=AIMessageChunk(**fields))

    def _usage_added(self, usage: dict[str, Any]) -> dict[str, Any] | None:
        """`usage`, unless this stream already sent the same object.

        A usage object normally comes once, in the last chunk; a gateway that
        also puts it on the finishing chunk must not have it counted twice when
        the chunks are added up.
        """
        if usage == self._usage:
            return None
        self._usage = usage
        return usage

    def flush(self) -> ChatGenerationChunk | None:
        """A held dispatcher call the stream never finished, if any.

        Raises:
            APIResponseValidationError: The stream carried no choice at all.
        """
        if not self._answered:
            raise APIResponseValidationError(
                "MashaGPT's stream ended without any choice: there is no answer."
            )
        held = self._held_call()
        return (
            ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=held))
            if held
            else None
        )

    def _call_piece(self, call: dict[str, Any]) -> list[Any]:
        """Tool-call chunks for one `delta.function_call` piece.

        The name is held until it is whole — at the first `arguments` piece, or
        when the choice finishes — because LangChain's partial parsers look tools
        up by the name of the first chunk. A dispatcher call is held entirely.
        """
        name, args = call.get("name") or "", call.get("arguments") or ""
        if self._call_id is not None and not self._tools:  # the name went out already
            return [tool_call_chunk(name=name or None, args=args, id=None, index=0)]
        self._name += name
        if self._tools or not args:
            self._args += args
            return []
        self._call_id = _new_call_id()
        return [tool_call_chunk(name=self._name, args=args, id=self._call_id, index=0)]

    def _held_call(self) -> list[Any]:
        """The call still held when the choice finishes: a whole name, or the dispatcher's.

        A dispatcher call is unwrapped; an invalid one keeps the dispatcher's name
        and carries its raw arguments as a JSON string, not an object, so that
        LangChain's sum of the chunks lists it among `invalid_tool_calls` rather
        than as a call of the dispatcher.
        """
        if (self._call_id is not None and not self._tools) or not (self._name or self._args):
            return []
        self._call_id = self._call_id or _new_call_id()
        name, raw = self._name, self._args
        self._name = self._args = ""
        if not self._tools:  # a call without arguments
            return [tool_call_chunk(name=name, args=raw, id=self._call_id, index=0)]
        tool, args, error = _parse_call(name, raw, self._tools)
        text = dumps(raw if error else args).decode()
        return [tool_call_chunk(name=name if error else tool, args=text, id=self._call_id, index=0)]
