"""Pure conversion of answers: `chat.completion` → `ChatResult`, chunks → `ChatGenerationChunk`.

`chat_result` and `StreamConverter`, shared by the sync and async paths; usage
and energy go to `usage_metadata` and `response_metadata["token_usage"]`. An
answer of the wrong shape raises `APIResponseValidationError`. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCallChunk, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_mashagpt._convert import usage as _usage
from langchain_mashagpt._convert.gateway import (
    answer_metadata,
    chunk_metadata,
    delta_calls,
    function_calls,
    reasoning_of,
)
from langchain_mashagpt._functions.outcome import CallStream, call_fields, invalid_args
from langchain_mashagpt._functions.plan import CUT_REASONS, CallPlan
from langchain_mashagpt._http.response import Answered, AnswerMeta
from langchain_mashagpt._json import dumps
from langchain_mashagpt.errors import APIResponseValidationError

__all__ = ["PROVIDER", "StreamConverter", "chat_result", "sum_llm_outputs", "usage_metadata"]

PROVIDER = "mashagpt"


def usage_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    """LangChain's token counts from the API's `usage` object (checked: see `_convert.usage`)."""
    return _usage.usage_metadata(_usage.checked_usage(usage))


def _ai_message(
    message: Mapping[str, Any], plan: CallPlan, finish: str | None, **fields: Any
) -> AIMessage:
    content = message.get("content") or ""
    calls = function_calls(message)  # `function_call`, and a gateway's `tool_calls`
    for k, call in enumerate(calls):
        raw = call.get("arguments") or ""
        if not isinstance(raw, str):  # an object instead of its JSON text
            raw = dumps(raw).decode()
        # Only the last call can be the one an answer was cut in.
        ended = finish if k == len(calls) - 1 else None
        text, call_message_fields = call_fields(plan, call.get("name") or "", raw, ended)
        content += text
        for key in ("tool_calls", "invalid_tool_calls"):
            call_message_fields[key] = fields.get(key, []) + call_message_fields[key]
        if "additional_kwargs" in fields:  # the legacy `function_call` is the first call's
            call_message_fields.pop("additional_kwargs", None)
        fields.update(call_message_fields)
    if reasoning := reasoning_of(message):
        fields["additional_kwargs"] = {
            **fields.get("additional_kwargs", {}),
            "reasoning_content": reasoning,
        }
    return AIMessage(content=content, **fields)


# What reading an answer of the wrong shape raises (a string where the API
# documents an object, a number for a text; pydantic's errors are ValueErrors).
_MALFORMED = (AttributeError, KeyError, TypeError, ValueError)


def _malformed(exc: Exception, data: Any) -> APIResponseValidationError:
    return APIResponseValidationError(
        "MashaGPT's answer does not have the API's documented format "
        f"({type(exc).__name__}: {str(exc)[:200]}): {str(data)[:200]}",
        body=data,
    )


def chat_result(completion: dict[str, Any] | Answered, plan: CallPlan) -> ChatResult:
    """`ChatResult` of a `chat.completion` (with what its headers say): one generation per choice.

    Usage goes on the first generation's message only, so that adding up
    messages never counts a request twice; `llm_output` has it too. The
    request id (and the headers, if asked) go on every choice.
    """
    meta: dict[str, Any] = {}
    if isinstance(completion, Answered):
        meta = completion.meta.metadata
        completion = completion.body
    try:
        return _chat_result(completion, plan, meta)
    except _MALFORMED as exc:
        error = _malformed(exc, completion)
    raise error  # outside the handler: no chained exception (see `errors`)


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


def _chat_result(completion: dict[str, Any], plan: CallPlan, meta: dict[str, Any]) -> ChatResult:
    choices = completion["choices"]
    if not choices:
        raise APIResponseValidationError(
            "MashaGPT answered with an empty `choices` list: there is no answer.",
            body=completion,
        )
    usage = _usage.checked_usage(completion["usage"]) if completion.get("usage") else None
    common = {
        "model_name": completion.get("model"),
        "model_provider": PROVIDER,
        "id": completion.get("id"),
        "created": completion.get("created"),
        **meta,
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
            plan,
            finish,
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

    __slots__ = ("_answered", "_calls", "_gateway", "_id", "_meta", "_started", "_usage")

    def __init__(self, plan: CallPlan) -> None:
        """Prepare for the stream of a request whose calls `plan` reads."""
        self._calls = CallStream(plan)
        self._gateway: dict[int, str] = {}  # a gateway's further calls: index → arguments
        self._id: str | None = None
        self._started = False
        self._answered = False
        self._usage: dict[str, Any] | None = None
        self._meta: dict[str, Any] = {}  # what the answer's headers say, for the first chunk

    def convert(self, data: dict[str, Any] | AnswerMeta) -> ChatGenerationChunk | None:
        """The chunk for one `chat.completion.chunk`, or `None` if it carries nothing.

        The `AnswerMeta` the transport yields first is kept for the first chunk.
        """
        if isinstance(data, AnswerMeta):
            self._meta = data.metadata
            return None
        try:
            return self._convert(data)
        except _MALFORMED as exc:
            error = _malformed(exc, data)
        raise error  # outside the handler: no chained exception (see `errors`)

    def _convert(self, data: dict[str, Any]) -> ChatGenerationChunk | None:
        metadata: dict[str, Any] = {}
        if not self._started:
            metadata = {"model_name": data.get("model"), "model_provider": PROVIDER, **self._meta}
        metadata.update(chunk_metadata(data, first=not self._started))
        self._started = True
        content = ""
        fields: dict[str, Any] = {}
        choices = data["choices"]
        if choices:
            self._answered = True
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content") or ""
            # The `function_call` piece (or a gateway's first `tool_calls` entry), and
            # a gateway's further calls as chunks of their own.
            call, gateway_chunks = delta_calls(delta)
            if call:
                fields.update(self._calls.piece(call))
            if gateway_chunks:
                fields["tool_call_chunks"] = fields.get("tool_call_chunks", []) + gateway_chunks
                for chunk in gateway_chunks:
                    index = chunk["index"] or 0
                    self._gateway[index] = self._gateway.get(index, "") + (chunk["args"] or "")
            if finish := choice.get("finish_reason"):
                metadata["finish_reason"] = finish
                text, held = self._calls.finish(None if self._gateway else finish)
                content += text
                fields.update(held)
                if cut := self._gateway_cut(finish):
                    fields["tool_call_chunks"] = [*fields.get("tool_call_chunks", []), cut]
            if reasoning := reasoning_of(delta):  # added up by langchain-core with the chunks
                kwargs = fields.get("additional_kwargs", {})
                fields["additional_kwargs"] = {**kwargs, "reasoning_content": reasoning}
        usage = data.get("usage")
        if usage:
            usage = self._usage_added(_usage.checked_usage(usage))
            if usage:
                metadata["token_usage"] = usage
        if not (content or fields or metadata):
            return None
        # Only the fields a chunk has: langchain-core keeps every chunk of a stream,
        # and each field given costs time and memory (pydantic's fields-set grows).
        # The stream's id is one string shared by all its chunks, not one per chunk.
        if (stream_id := data.get("id")) != self._id:
            self._id = stream_id
        fields.update(content=content, id=self._id)
        if metadata:
            fields["response_metadata"] = metadata
        if usage:
            fields["usage_metadata"] = usage_metadata(usage)
        return ChatGenerationChunk(message=AIMessageChunk(**fields))

    def _gateway_cut(self, finish: str) -> ToolCallChunk | None:
        """The mark that makes a gateway's last call invalid when the answer was cut."""
        if finish not in CUT_REASONS or not self._gateway:
            return None
        index = max(self._gateway)
        raw = self._gateway.pop(index)
        return tool_call_chunk(args=invalid_args(raw)[len(raw) :] or None, index=index)

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
        text, held = self._calls.finish()
        if not (text or held):
            return None
        return ChatGenerationChunk(message=AIMessageChunk(content=text, **held))
