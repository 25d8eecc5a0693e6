"""`ChatMashaGPT`: the LangChain chat model for the MashaGPT API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import closing
from typing import Annotated, Any, Self

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, ModelProfile
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.utils import from_env, secret_from_env
from pydantic import AfterValidator, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from langchain_mashagpt._arguments import constructor_arguments
from langchain_mashagpt._configurable import ConfigurableChatMashaGPT, configurable
from langchain_mashagpt._convert.answers import StreamConverter, chat_result, sum_llm_outputs
from langchain_mashagpt._convert.request import Request, build_payload, check_params
from langchain_mashagpt._functions.methods import FunctionMethods
from langchain_mashagpt._functions.schemas import functions_for
from langchain_mashagpt._http.attempts import INITIAL_BACKOFF
from langchain_mashagpt._http.clients import AsyncHTTPClient, SyncHTTPClient
from langchain_mashagpt._http.deadline import DEFAULT_DEADLINE, check_deadline
from langchain_mashagpt._http.options import (
    check_retry_backoff,
    check_timeout,
    client_settings,
    transport_options,
)
from langchain_mashagpt._http.transport import (
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    Transport,
    aclosing_stream,
)
from langchain_mashagpt._http.urls import check_base_url
from langchain_mashagpt._params import LLM_TYPE, call_params, default_params, ls_params
from langchain_mashagpt._profiles import carried_over, profile_for
from langchain_mashagpt._tokens import counter_for
from langchain_mashagpt._version import __version__
from langchain_mashagpt.limits import RedisEnergyBudget, _estimate, _metered

__all__ = ["DEFAULT_BASE_URL", "ChatMashaGPT"]

DEFAULT_BASE_URL = "https://api.mashagpt.ru/v1"


class ChatMashaGPT(
    FunctionMethods, _estimate.EnergyEstimates, BaseChatModel, hide_input_in_errors=True
):
    """MashaGPT chat models (GPT, Claude, Gemini and more behind one API).

    Setup:
        Install `langchain-mashagpt` (from a clone of its repository until it is on
        the package index) and set `MASHAGPT_API_KEY` (optionally `MASHAGPT_BASE_URL`).

        ```bash
        pip install .  # in the clone
        export MASHAGPT_API_KEY="your-api-key"
        ```

    Key init args - completion params:
        - `model` (`str`): model id, e.g. `"gpt-4o-mini"`, `"claude-3-opus"`.
        - `temperature`, `top_p`, `max_tokens`, `n`, `stop`, `presence_penalty`,
          `frequency_penalty`, `logit_bias`, `user`: the API's request parameters;
          also accepted per call and by `bind`.
        - `model_kwargs` (`dict`): further body parameters, sent as given.

    Key init args - client params:
        - `api_key` (`SecretStr | None`): read from `MASHAGPT_API_KEY` when not given.
        - `base_url` (`str`): read from `MASHAGPT_BASE_URL`, default
          `https://api.mashagpt.ru/v1`.
        - `timeout` (`float | None`): seconds for connecting and for each read
          (default 120).
        - `max_retries` (`int`): retries of 408/409/429/5xx, connection errors and
          timeouts (default 2).
        - `retry_backoff` (`float`): seconds before the first retry when the server
          does not say (default 0.5, doubled per retry; 0 retries at once).
        - `deadline` (`float | None`): seconds one call may take in all (default 600).

    Instantiate:
        ```python
        from langchain_mashagpt import ChatMashaGPT

        model = ChatMashaGPT(model="gpt-4o-mini", temperature=0)
        ```

    Invoke:
        ```python
        model.invoke([("system", "Отвечай кратко."), ("human", "Столица Франции?")])
        # AIMessage(content="Париж.", usage_metadata={...}, response_metadata={...})
        ```

    Stream:
        ```python
        for chunk in model.stream("Расскажи сказку"):
            print(chunk.text, end="", flush=True)
        ```

    Async:
        ```python
        await model.ainvoke("Hello")
        async for chunk in model.astream("Hello"):
            ...
        await model.abatch(["Hello", "Привет"])
        ```

    Tool calling:
        Tools go out over the API's `functions` protocol; answers come back as
        ordinary `tool_calls`, one per message (several with `parallel_tool_calls`).

        ```python
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a city.'''

            city: str = Field(description="The city, e.g. Moscow")


        model_with_tools = model.bind_tools([GetWeather])
        model_with_tools.invoke("Какая погода в Москве?").tool_calls
        # [{"name": "GetWeather", "args": {"city": "Москва"}, "id": "call_…"}]
        ```

    Structured output:
        ```python
        class Joke(BaseModel):
            setup: str
            punchline: str


        model.with_structured_output(Joke).invoke("Tell me a joke about cats")
        ```

    Token usage:
        ```python
        msg = model.invoke("Hello")
        msg.usage_metadata  # {"input_tokens": 8, "output_tokens": 9, "total_tokens": 17}
        msg.response_metadata["token_usage"]["total_energy"]  # MashaGPT's energy
        msg.response_metadata  # also model_name, finish_reason, id, created
        ```
    """

    model: str = Field(default="gpt-4o-mini", alias="model_name")
    """Model id, e.g. `gpt-4o-mini`, `gpt-4o`, `claude-3-opus`."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("MASHAGPT_API_KEY", default=None)
    )
    """API key; read from `MASHAGPT_API_KEY` when not given."""
    base_url: Annotated[str, AfterValidator(check_base_url)] = Field(
        default_factory=from_env("MASHAGPT_BASE_URL", default=DEFAULT_BASE_URL),
        validate_default=True,
    )
    """API base URL; read from `MASHAGPT_BASE_URL`, default `https://api.mashagpt.ru/v1`."""
    temperature: float | None = None
    """Sampling temperature, 0 to 2 (API default 1)."""
    max_tokens: int | None = None
    """Most tokens to generate."""
    top_p: float | None = None
    """Nucleus sampling mass, 0 to 1 (API default 1)."""
    n: int | None = None
    """How many choices to generate (API default 1); more than 1 is not streamed."""
    stop: list[str] | str | None = None
    """Up to 4 sequences at which generation stops."""
    presence_penalty: float | None = None
    """Penalty for tokens already present, -2 to 2."""
    frequency_penalty: float | None = None
    """Penalty by token frequency, -2 to 2."""
    logit_bias: dict[int, float] | None = None
    """Token id → bias from -100 to 100."""
    user: str | None = None
    """Your end user's id."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further body parameters the fields do not cover, sent as given.

    Unknown constructor keywords land here, with a warning."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into every request body (OpenAI SDK's name); also per call."""
    timeout: Annotated[float | None, AfterValidator(check_timeout)] = 120.0
    """Seconds allowed for connecting and for each read, above 0; `None` waits forever.

    Also accepted as `request_timeout`."""
    max_retries: int = Field(default=2, ge=0)
    """Retries after the first attempt (408/409/429/5xx, connection errors, timeouts)."""
    retry_backoff: Annotated[float, AfterValidator(check_retry_backoff)] = INITIAL_BACKOFF
    """Seconds before the first retry when the server does not say how long to wait
    (`Retry-After`); doubled for each further retry up to 8 s, with jitter. 0 retries at once."""
    deadline: Annotated[float | None, AfterValidator(check_deadline)] = DEFAULT_DEADLINE
    """Seconds one call may take in all: every attempt, read and wait between them
    (default 600; `None`: no limit). Also per call: `invoke(..., deadline=30)`."""
    max_response_bytes: int = Field(default=DEFAULT_MAX_RESPONSE_BYTES, gt=0)
    """The most bytes of one answer, streamed or not, after decompression (64 MiB)."""
    max_event_bytes: int = Field(default=DEFAULT_MAX_EVENT_BYTES, gt=0)
    """The longest line, and the most data of one event, of a stream (16 MiB)."""
    streaming: bool = False
    """Whether `invoke` streams under the hood (callbacks get each token)."""
    stream_usage: bool = True
    """Whether streams ask for a final usage chunk (`stream_options.include_usage`)."""
    parallel_tool_calls: bool | None = None
    """Whether `bind_tools` lets the model make several tool calls in one answer,
    through the batch function `multi_tool_use_parallel` (default off)."""
    default_headers: dict[str, str] | None = None
    """Extra HTTP headers sent with every request."""
    default_query: dict[str, str] | None = None
    """Query parameters added to the URL of every request."""
    http_client: SyncHTTPClient | None = Field(default=None, exclude=True)
    """Your own `httpx.Client`/`httpx2.Client`, used as given for sync calls."""
    http_async_client: AsyncHTTPClient | None = Field(default=None, exclude=True)
    """Your own `httpx.AsyncClient`/`httpx2.AsyncClient`, used as given for async calls."""
    include_response_headers: bool = False
    """Whether answers carry their HTTP headers in `response_metadata["headers"]`."""
    energy_budget: RedisEnergyBudget | None = Field(default=None, exclude=True)
    """A budget shared through Redis, reserved before each call (`langchain_mashagpt.limits`)."""

    _transport: Transport | None = PrivateAttr(default=None)
    _transport_settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _init_arguments(cls, values: Any) -> Any:
        return constructor_arguments(values, cls.model_fields)

    @model_validator(mode="after")
    def _check_fields(self) -> Self:
        check_params(self._default_params)
        self._add_version("langchain-mashagpt", __version__)  # in run metadata, as partners do
        return self

    def _resolve_model_profile(self) -> ModelProfile | None:
        return profile_for(self.model)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; a new `model` in `update` gets its own profile, unless one was set."""
        copy = super().model_copy(update=update, deep=deep)
        if update and "model" in update and carried_over(copy.profile, copy.model):
            copy.profile = profile_for(copy.model)
        return copy

    @property
    def _llm_type(self) -> str:
        return LLM_TYPE

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The secret fields and their environment variables."""
        return {"api_key": "MASHAGPT_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """`ChatMashaGPT` can be serialised with `dumpd`/`dumps` (key left out)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The import path LangChain's loader uses: `langchain_mashagpt.chat_models`."""
        return ["langchain_mashagpt", "chat_models"]

    @property
    def _default_params(self) -> dict[str, Any]:
        return default_params(self)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"base_url": self.base_url, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return ls_params({**self._default_params, **kwargs}, stop)

    def _get_transport(self) -> Transport:
        # Rebuilt when a client setting changed after first use, for the next call.
        settings = client_settings(self)
        if self._transport is None or settings != self._transport_settings:
            self._transport = _metered.MeteredTransport(**transport_options(self))
            self._transport_settings = settings
        return self._transport

    def _payload(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        stream: bool,
    ) -> Request:
        params = call_params(self._default_params, kwargs)
        if stop is not None:
            params["stop"] = stop
        return build_payload(messages, params, stream=stream)

    def _should_stream(
        self,
        *,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> bool:
        n = kwargs.get("n", self.model_kwargs.get("n", self.n))
        if n is not None and n > 1:
            return False  # several choices come only from a non-streamed request
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        deadline = kwargs.pop("deadline", self.deadline)
        payload, plan = self._payload(messages, stop, kwargs, stream=False)
        completion = self._get_transport().post(payload, deadline)
        return chat_result(completion, plan)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        deadline = kwargs.pop("deadline", self.deadline)
        payload, plan = self._payload(messages, stop, kwargs, stream=False)
        completion = await self._get_transport().apost(payload, deadline)
        return chat_result(completion, plan)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        deadline = kwargs.pop("deadline", self.deadline)
        payload, plan = self._payload(messages, stop, kwargs, stream=True)
        converter = StreamConverter(plan)
        # Closed here, whatever ends this generator, so the connection is released now.
        with closing(self._get_transport().stream(payload, deadline)) as stream:
            for data in stream:
                if (chunk := converter.convert(data)) is not None:
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        if (chunk := converter.flush()) is not None:
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        deadline = kwargs.pop("deadline", self.deadline)
        payload, plan = self._payload(messages, stop, kwargs, stream=True)
        converter = StreamConverter(plan)
        # Closed here, whatever ends this generator, so the connection is released now.
        async with aclosing_stream(self._get_transport().astream(payload, deadline)) as stream:
            async for data in stream:
                if (chunk := converter.convert(data)) is not None:
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        if (chunk := converter.flush()) is not None:
            yield chunk

    def get_num_tokens(self, text: str) -> int:
        """Tokens of `text`, counted offline like `get_num_tokens_from_messages`."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return counter_for(self.model).text(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Tokens of a request, `tools` as the `functions` sent, offline (no download).

        Exact (tiktoken) for OpenAI models whose encoding is already cached,
        else langchain-core's `count_tokens_approximately`.
        """
        functions = functions_for(tools) if tools else []
        return counter_for(self.model).messages(messages, functions)

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        return sum_llm_outputs(llm_outputs, self.model)

    def _default_parallel_tool_calls(self) -> bool | None:
        return self.parallel_tool_calls

    def configurable_fields(self, **kwargs: Any) -> ConfigurableChatMashaGPT:
        """Fields chosen per call, which `bind_tools` and `with_structured_output` keep."""
        return configurable(super().configurable_fields(**kwargs))
