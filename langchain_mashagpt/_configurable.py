"""`ChatMashaGPT.configurable_fields`: a configurable model that keeps its configuration.

langchain-core's `configurable_fields` returns a `RunnableConfigurableFields`
that hands every other method to its *default* model. So
`model.configurable_fields(...).with_structured_output(S)` or `.bind_tools(...)`
is built on the default instance, and the configuration given later
(`.with_config({"configurable": {"model": …, "max_tokens": …}})`, or per call)
is silently ignored: every request goes out with the default model. And the
model it builds for a configuration counts every field as set, `streaming=False`
included, which langchain-core reads as "never stream".

`ConfigurableChatMashaGPT` is that wrapper with `bind_tools` and
`with_structured_output` of its own. Both bind the wrapper itself, so the model
is chosen per call from the configuration the call carries, through
`with_retry`, `with_config`, `bind` and parsers, invoked, awaited or streamed,
as with `init_chat_model(configurable_fields=…)`. (That wrapper queues the
calls and replays them on the configured model; a binding does the same here
and stays visible: LangGraph finds `tools` in it, see `_functions.binding`.) The model
built for a configuration sets only what the default model set and what was
configured.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.language_models.base import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSerializable
from langchain_core.runnables.configurable import RunnableConfigurableFields

from langchain_mashagpt._functions.methods import FunctionMethods

__all__ = ["ConfigurableChatMashaGPT", "configurable"]


class ConfigurableChatMashaGPT(FunctionMethods, RunnableConfigurableFields):  # type: ignore[type-arg]
    """A `ChatMashaGPT` whose fields are chosen per call, also once tools or a schema are bound.

    Made by `ChatMashaGPT(...).configurable_fields(...)`; see `docs/configuration.md`.
    """

    @classmethod
    def lc_id(cls) -> list[str]:
        """langchain-core's own id: dumped, this is the `RunnableConfigurableFields` it was."""
        return RunnableConfigurableFields.lc_id()

    def _prepare(
        self, config: RunnableConfig | None = None
    ) -> tuple[Runnable[Any, Any], RunnableConfig]:
        model, config = super()._prepare(config)
        if model is self.default:
            return model, config
        # langchain-core built `model` from every field's value, so every field counts as
        # set, and a `streaming=False` set refuses to stream. Only what the default model
        # had set, and the configured fields, are.
        keys = self.default.model_fields_set | self.fields.keys()
        return type(self.default)(**{key: getattr(model, key) for key in keys}), config

    def _default_parallel_tool_calls(self) -> bool | None:
        return getattr(self.default, "parallel_tool_calls", None)


def configurable(
    fields: RunnableSerializable[LanguageModelInput, AIMessage],
) -> ConfigurableChatMashaGPT:
    """langchain-core's `configurable_fields` of a model, as a `ConfigurableChatMashaGPT`."""
    core = cast("RunnableConfigurableFields[LanguageModelInput, AIMessage]", fields)
    return ConfigurableChatMashaGPT(default=core.default, fields=core.fields, config=core.config)
