"""Integration tests: every test here runs from a VCR cassette under `tests/cassettes/`.

Replay (the default: pyproject's addopts pass `--record-mode=none`): the model
gets a dummy key and the default `base_url`; VCR answers at the HTTP transport,
so no server and no socket is needed. A request the cassette does not hold (or
a missing cassette) raises `CannotOverwriteExistingCassetteException`, and a
recorded request the test no longer makes fails the test at teardown.

Recording (`--record-mode` other than `none`: `make record`, or `--record-mode=rewrite`
for one test): against the live API when `MASHAGPT_API_KEY` is set
(`MASHAGPT_BASE_URL` optional; sockets enabled for these tests), else against a
`MashaGPTEmulator` started for the session (loopback only).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from vcr.serializers import yamlserializer

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.chat_models import DEFAULT_BASE_URL
from langchain_mashagpt.testing import MashaGPTEmulator
from langchain_mashagpt.testing import vcr_config as mashagpt_vcr_config

if TYPE_CHECKING:
    from vcr import VCR
    from vcr.cassette import Cassette

HERE = Path(__file__).parent
CASSETTES = HERE.parent / "cassettes"
REPLAY_API_KEY = "sk-replay-not-a-real-key"
"""The key used in replay: VCR answers before anything is sent."""
MODEL = "gpt-4o-mini"
_LOOPBACK = ["127.0.0.1", "::1"]
_UNUSED_BENCHMARK = (
    "ignore:Benchmark fixture was not used:pytest_benchmark.logger.PytestBenchmarkWarning"
)


def is_recording(config: pytest.Config) -> bool:
    """Whether this run records cassettes (pytest-recording's `--record-mode` is not none)."""
    return (config.getoption("--record-mode") or "none") != "none"


def records_live() -> bool:
    """Whether recording goes to the live API (a key is in the environment)."""
    return bool(os.environ.get("MASHAGPT_API_KEY"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every test of this directory on a cassette; open the network only to record."""
    recording = is_recording(config)
    for item in items:
        if HERE not in item.path.parents:
            continue
        if item.get_closest_marker("vcr") is None:
            item.add_marker(pytest.mark.vcr)
        if item.name == "test_stream_time":
            # langchain-tests benchmarks one recorded stream by replaying it many times;
            # while recording it streams once, without the benchmark fixture.
            item.add_marker(pytest.mark.vcr(allow_playback_repeats=True))
            item.add_marker(pytest.mark.filterwarnings(_UNUSED_BENCHMARK))
        if recording:
            if records_live():
                item.add_marker(pytest.mark.enable_socket)
            else:
                item.add_marker(pytest.mark.allow_hosts(_LOOPBACK))


class ReadableYaml:
    """vcrpy's YAML cassettes, with Russian (any non-ASCII) text written as itself.

    vcrpy's own serializer escapes it (`\\u041F\\u0440…`); this one keeps it readable.
    Loading is vcrpy's safe loader.
    """

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        return yaml.safe_dump(cassette_dict, allow_unicode=True)

    @staticmethod
    def deserialize(cassette_string: str) -> Any:
        return yamlserializer.deserialize(cassette_string)


def pytest_recording_configure(config: pytest.Config, vcr: VCR) -> None:
    """Use `ReadableYaml` for the cassettes (pytest-recording's hook)."""
    vcr.register_serializer("yaml", ReadableYaml())


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """The package's VCR settings: key filtered, match on method/path/query/JSON body."""
    return mashagpt_vcr_config()


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """`tests/cassettes/<test module>/`."""
    return str(CASSETTES / request.path.stem)


@pytest.fixture(autouse=True)
def _every_recorded_request_is_made(
    request: pytest.FixtureRequest, vcr: Cassette | None
) -> Iterator[None]:
    """In replay, fail a test that did not make every request its cassette holds.

    A test that swallowed an error (or whose traffic changed) must not pass on a
    cassette it no longer matches.
    """
    yield
    if vcr is None or is_recording(request.config):
        return
    if not vcr.all_played:
        unplayed = len(vcr) - len(vcr.play_counts)
        pytest.fail(
            f"{unplayed} of the {len(vcr)} requests recorded in {vcr._path} were not made "
            "in replay: re-record with `make record`."
        )


@dataclass(frozen=True)
class Connection:
    """Where the models of these tests send requests."""

    base_url: str
    api_key: str
    target: str
    """`replay`, `emulator` or `live`."""
    emulator: MashaGPTEmulator | None = None


@pytest.fixture(scope="session")
def mashagpt_connection(request: pytest.FixtureRequest) -> Iterator[Connection]:
    """Replay: a dummy key and the default URL. Recording: the live API or an emulator."""
    if not is_recording(request.config):
        yield Connection(DEFAULT_BASE_URL, REPLAY_API_KEY, "replay")
    elif records_live():
        base_url = os.environ.get("MASHAGPT_BASE_URL") or DEFAULT_BASE_URL
        yield Connection(base_url, os.environ["MASHAGPT_API_KEY"], "live")
    else:
        with MashaGPTEmulator() as emulator:
            yield Connection(emulator.base_url, emulator.api_key, "emulator", emulator)


@pytest.fixture(autouse=True)
def _fresh_emulator(request: pytest.FixtureRequest) -> None:
    """When recording against the emulator, restart its ids for each test.

    The cassettes then change only where the traffic does when they are re-recorded.
    """
    if is_recording(request.config):
        connection: Connection = request.getfixturevalue("mashagpt_connection")
        if connection.emulator is not None:
            connection.emulator.reset()


@pytest.fixture
def chat(mashagpt_connection: Connection) -> ChatMashaGPT:
    """A `ChatMashaGPT` pointed at `mashagpt_connection`, deterministic settings."""
    return ChatMashaGPT(
        model=MODEL,
        temperature=0,
        max_retries=0,
        base_url=mashagpt_connection.base_url,
        api_key=mashagpt_connection.api_key,
    )
