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

from langchain_mashagpt._calls import CallPlan, TextContent, ValidCall
from langchain_mashagpt._decode import dumps
from langchain_mashagpt.errors import APIResponseValidationError

__all__ = ["PROVIDER", "StreamConverter", "chat_result", "sum_llm_outputs", "usage_metadata"]

PROVIDER = "mashagpt"


def usage_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    """LangChain's token counts from the API's `usage` object."""
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    return UsageMetadata(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=usage.get("total_tokens") or prompt + completion,
    )


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _ai_message(message: Mapping[str, Any], plan: CallPlan, **fields: Any) -> AIMessage:
    content = message.get("content") or ""
    calls: list[Any] = []
    invalid: list[Any] = []
    call = message.get("function_call")
    if isinstance(call, dict):
        raw = call.get("arguments") or ""
        if not isinstance(raw, str):  # an object instead of its JSON text
            raw = dumps(raw).decode()
        for outcome in plan.decode(call.get("name") or "", raw):
            if isinstance(outcome, TextContent):
                content += outcome.text
            elif isinstance(outcome, ValidCall):
                calls.append(tool_call(name=outcome.name, args=outcome.args, id=_new_call_id()))
            else:
                invalid.append(
                    invalid_tool_call(
                        name=outcome.name, args=outcome.args, id=_new_call_id(), error=outcome.error
                    )
                )
    return AIMessage(content=content, tool_calls=calls, invalid_tool_calls=invalid, **fields)


# What reading an answer of the wrong shape raises (a string where the API
# documents an object, a number for a text; pydantic's errors are ValueErrors).
_MALFORMED = (AttributeError, KeyError, TypeError, ValueError)


def _malformed(exc: Exception, data: Any) -> APIResponseValidationError:
    return APIResponseValidationError(
        "MashaGPT's answer does not have the API's documented format "
        f"({type(exc).__name__}: {str(exc)[:200]}): {str(data)[:200]}",
        body=data,
    )


def chat_result(completion: dict[str, Any], plan: CallPlan) -> ChatResult:
    """`ChatResult` of a `chat.completion`: one generation per choice.

    Usage goes on the first generation's message only, so that adding up
    messages never counts a request twice; `llm_output` has it too.
    """
    try:
        return _chat_result(completion, plan)
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


def _chat_result(completion: dict[str, Any], plan: CallPlan) -> ChatResult:
    choices = completion["choices"]
    if not choices:
        raise APIResponseValidationError(
            "MashaGPT answered with an empty `choices` list: there is no answer.",
            body=completion,
        )
    usage = completion.get("usage") or None
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
        metadata = {**common, "finish_reason": finish}
        if usage is not None and k == 0:
            metadata["token_usage"] = usage
        ai = _ai_message(
            message,
            plan,
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
    sum of the chunks has each once. A call the plan `holds` (the dispatcher's,
    a `response_format` function's) is held back and decoded whole when the
    choice finishes (or at `flush`), exactly as `chat_result` decodes it.
    """

    __slots__ = ("_answered", "_args", "_call_id", "_id", "_name", "_plan", "_started", "_usage")

    def __init__(self, plan: CallPlan) -> None:
        """Prepare for the stream of a request whose calls `plan` reads."""
        self._plan = plan
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
            self._started = True
            metadata = {"model_name": data.get("model"), "model_provider": PROVIDER}
        content = ""
        tool_chunks = []
        choices = data["choices"]
        if choices:
            self._answered = True
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content") or ""
            call = delta.get("function_call")
            if call:
                tool_chunks = self._call_piece(call)
            if finish := choice.get("finish_reason"):
                metadata["finish_reason"] = finish
                text, held = self._held_call()
                content += text
                tool_chunks += held
        usage = data.get("usage")
        if usage:
            usage = self._usage_added(usage)
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
        """A held call the stream never finished, if any.

        Raises:
            APIResponseValidationError: The stream carried no choice at all.
        """
        if not self._answered:
            raise APIResponseValidationError(
                "MashaGPT's stream ended without any choice: there is no answer."
            )
        text, held = self._held_call()
        if not (text or held):
            return None
        return ChatGenerationChunk(message=AIMessageChunk(content=text, tool_call_chunks=held))

    def _call_piece(self, call: dict[str, Any]) -> list[Any]:
        """Tool-call chunks for one `delta.function_call` piece.

        The name is held until it is whole — at the first `arguments` piece, or
        when the choice finishes — because LangChain's partial parsers look tools
        up by the name of the first chunk. A call the plan holds is held entirely.
        """
        name, args = call.get("name") or "", call.get("arguments") or ""
        if self._call_id is not None:  # streaming live: the name went out already
            return [tool_call_chunk(name=name or None, args=args, id=None, index=0)]
        self._name += name
        self._args += args
        if not self._args or self._plan.holds(self._name):
            return []
        self._call_id = _new_call_id()
        name, self._name = self._plan.user_name(self._name), ""
        args, self._args = self._args, ""
        return [tool_call_chunk(name=name, args=args, id=self._call_id, index=0)]

    def _held_call(self) -> tuple[str, list[Any]]:
        """The text and tool-call chunks of the call still held when the choice ends.

        An invalid call carries its raw arguments as a JSON string, not an
        object, so that LangChain's sum of the chunks lists it among
        `invalid_tool_calls` rather than completing it.
        """
        if not (self._name or self._args):
            return "", []
        name, raw = self._name, self._args
        self._name = self._args = ""
        text = ""
        chunks: list[Any] = []
        for outcome in self._plan.decode(name, raw):
            if isinstance(outcome, TextContent):
                text += outcome.text
                continue
            args = dumps(outcome.args).decode()
            chunks.append(
                tool_call_chunk(name=outcome.name, args=args, id=_new_call_id(), index=len(chunks))
            )
        return text, chunks
