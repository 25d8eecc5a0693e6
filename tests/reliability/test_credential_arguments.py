"""A constructor argument that may hold a credential is never sent, and never quoted.

Before, `ChatMashaGPT(apikey="sk-live-123")` printed `input_value={'apikey':
'sk-live-123'}`, and `apiKey=`, `token=`, `access_token=`… were moved to
`model_kwargs` with a warning: into every request body, `repr` and trace.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from pydantic import ValidationError

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt._http.credential import credential_like

KEY = "sk-live-Qw7Er8Ty9Ui0Op1As2"
NAMES = [
    "apiKey",
    "apikey",
    "mashagpt_api_key",
    "MASHAGPT_API_KEY",
    "api_token",
    "token",
    "secret_key",
    "access_token",
    "openai_api_key",
    "password",
    "auth",
    "authorization",
    "AuthToken",
    "x-api-key",
    "bearer",
    "client_secret",
    "credentials",
]


def assert_quiet(exc: ValidationError, inputs: bool = True) -> None:
    shown = str(exc) + repr(exc) + exc.json(include_input=inputs) + repr(exc.errors())
    assert KEY not in shown
    assert KEY[:10] not in shown
    assert "input_value" not in shown


@pytest.mark.parametrize("name", NAMES)
def test_a_credential_like_argument_is_refused_naming_api_key(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not moved to model_kwargs with a warning
        with pytest.raises(ValidationError) as info:
            ChatMashaGPT(**{name: KEY})
    assert "api_key" in str(info.value)
    assert_quiet(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_a_credential_like_argument_is_refused_beside_a_key(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        ChatMashaGPT(api_key="sk-other-key-000000", **{name: KEY})
    assert_quiet(info.value)
    assert "sk-other-key" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"default_query": {"api-key": KEY, "n": 1}},
        {"default_headers": {"X-Api-Key": KEY, "X-N": 2}},
        {"api_key": KEY, "model_kwargs": [KEY]},
        {"api_key": KEY, "base_url": 7},
        {"user": KEY, "temperature": "hot"},
        {"api_key": KEY, "temprature": 0},
    ],
    ids=["query", "headers", "model_kwargs", "base_url", "user", "misspelling"],
)
def test_no_failing_validation_quotes_any_value(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        ChatMashaGPT(**kwargs)
    # What is printed quotes nothing; `errors()` keeps the input a program asks for.
    shown = str(info.value) + repr(info.value) + info.value.json(include_input=False)
    assert KEY not in shown
    assert KEY[:10] not in shown


@pytest.mark.parametrize("name", NAMES)
def test_names_that_look_like_credentials(name: str) -> None:
    assert credential_like(name)


@pytest.mark.parametrize(
    "name", ["seed", "top_k", "tokens_limit", "logprobs", "top_logprobs", "monkey", "keyword"]
)
def test_other_unknown_names_still_go_to_model_kwargs(name: str) -> None:
    assert not credential_like(name)
    with pytest.warns(UserWarning, match="model_kwargs"):
        model = ChatMashaGPT(api_key="k", **{name: 3})
    assert model.model_kwargs == {name: 3}
