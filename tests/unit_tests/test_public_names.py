"""What `langchain_mashagpt` exports: the names users import, and every error as before."""

from __future__ import annotations

import subprocess
import sys

import pytest

import langchain_mashagpt
from langchain_mashagpt import errors

USED = {
    "BudgetExceededError",
    "ChatMashaGPT",
    "EnergyUsage",
    "MashaGPTCallbackHandler",
    "MashaGPTError",
    "__version__",
    "get_mashagpt_callback",
}


def test_all_holds_what_users_import() -> None:
    assert set(langchain_mashagpt.__all__) == USED
    assert all(hasattr(langchain_mashagpt, name) for name in USED)


def test_a_star_import_gives_exactly_all() -> None:
    names: dict[str, object] = {}
    exec("from langchain_mashagpt import *", names)
    assert set(names) - {"__builtins__"} == USED


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_is_found_in_errors_and_at_the_root(name: str) -> None:
    error = getattr(errors, name)
    assert isinstance(error, type)
    assert issubclass(error, errors.MashaGPTError)
    assert getattr(langchain_mashagpt, name) is error
    namespace: dict[str, object] = {}
    exec(f"from langchain_mashagpt import {name}", namespace)
    assert namespace[name] is error


@pytest.mark.parametrize("name", sorted(set(errors.__all__) - USED))
def test_an_error_kept_at_the_root_is_not_in_all(name: str) -> None:
    assert name not in langchain_mashagpt.__all__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchError'"):
        _ = langchain_mashagpt.NoSuchError
    with pytest.raises(ImportError, match="NoSuchError"):
        exec("from langchain_mashagpt import NoSuchError")


def test_an_old_import_of_an_error_warns_nothing() -> None:
    code = (
        "import warnings; warnings.simplefilter('error'); "
        "from langchain_mashagpt import RateLimitError, APIStatusError; "
        "import langchain_mashagpt.errors as e; "
        "assert RateLimitError is e.RateLimitError and APIStatusError is e.APIStatusError"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
