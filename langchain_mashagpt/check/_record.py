"""`--record DIR` and `--replay DIR`: every exchange as a cassette, key filtered.

Cassettes use `langchain_mashagpt.testing.vcr_config()` — the `Authorization`
header is replaced by `REDACTED` — and, beyond it, any answer that echoes a
key back has it replaced too. One cassette per step and model:
`DIR/<model>/<step>.yaml`. vcrpy is a test dependency, imported only here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from langchain_mashagpt.testing._vcr import vcr_config

__all__ = ["Cassettes", "CassettesUnavailable"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CassettesUnavailable(Exception):
    """vcrpy is not installed, so nothing can be recorded or replayed."""


class Cassettes:
    """Records (or replays) each step of a run into its own cassette."""

    def __init__(self, directory: Path, secrets: Sequence[str], *, replay: bool = False) -> None:
        """Prepare `directory`; `replay` plays the cassettes back and sends nothing.

        Raises:
            CassettesUnavailable: vcrpy is not installed.
        """
        try:
            import vcr  # type: ignore[import-untyped]
        except ImportError as exc:
            raise CassettesUnavailable(
                "--record and --replay need vcrpy, a test dependency of this package: "
                "pip install vcrpy (or pip install 'langchain-mashagpt[test]')."
            ) from exc
        config = vcr_config(
            secrets=secrets,
            cassette_library_dir=str(directory),
            record_mode="none" if replay else "all",
        )
        self.directory = directory
        self._vcr = vcr.VCR(**config)

    def cassette(self, model: str, step: str) -> AbstractContextManager[Any]:
        """The cassette of one step of one model."""
        path: AbstractContextManager[Any] = self._vcr.use_cassette(
            f"{_UNSAFE.sub('_', model)}/{step}.yaml"
        )
        return path
