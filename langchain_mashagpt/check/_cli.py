"""The command line: `mashagpt-check` / `python -m langchain_mashagpt.check`.

```
mashagpt-check [--model MODEL ...] [--yes] [--expensive] [--record DIR | --replay DIR]
    [--base-url URL] [--timeout SECONDS] [--probes [--reasoning-model MODEL]]
```

With `MASHAGPT_API_KEY` set it checks the live API (`MASHAGPT_BASE_URL` or
`--base-url`), after saying what the run will roughly cost and asking to go
on; without a key it checks the bundled emulator, for free. `--probes` adds
requests the API pages do not promise (`tools`, `response_format`, an image
part, a reasoning model), each reported as accepted or refused. Exit code 0
when every step is ok (a probe accepted or refused), 1 when one differs or
failed, 2 when nothing was run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from langchain_mashagpt.chat_models import DEFAULT_BASE_URL
from langchain_mashagpt.check._context import REASONING_MODEL
from langchain_mashagpt.check._record import Cassettes, CassettesUnavailable
from langchain_mashagpt.check._report import estimate, redact, total
from langchain_mashagpt.check._runner import run_check
from langchain_mashagpt.check._steps import steps
from langchain_mashagpt.testing import MashaGPTEmulator

__all__ = ["main"]

_REPLAY_URL = "http://cassettes.invalid/v1"
_REPLAY_KEY = "sk-mashagpt-check-replay"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mashagpt-check",
        description="Check that the MashaGPT API answers the way langchain-mashagpt assumes.",
    )
    parser.add_argument(
        "--model", action="append", help="model id to check; repeat for several (gpt-4o-mini)"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask before spending energy")
    parser.add_argument(
        "--expensive", action="store_true", help="also send a too-long prompt (live API only)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--record", type=Path, metavar="DIR", help="save every exchange as cassettes"
    )
    where.add_argument("--replay", type=Path, metavar="DIR", help="check recorded cassettes")
    parser.add_argument("--base-url", help="API base URL (MASHAGPT_BASE_URL, else the service's)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per read (60)")
    parser.add_argument(
        "--probes",
        action="store_true",
        help="also probe tools, response_format, an image part and reasoning_content",
    )
    parser.add_argument(
        "--reasoning-model",
        default=REASONING_MODEL,
        help=f"the model the reasoning probe asks ({REASONING_MODEL})",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    ask: Callable[[str], str] = input,
    interactive: Callable[[], bool] | None = None,
) -> int:
    """Run the check; return the exit code (see the module docstring)."""
    args = _parser().parse_args(argv)
    models = args.model or ["gpt-4o-mini"]
    key = os.environ.get("MASHAGPT_API_KEY", "").strip()
    base_url = args.base_url or os.environ.get("MASHAGPT_BASE_URL") or DEFAULT_BASE_URL
    live = bool(key) and args.replay is None
    script = steps(expensive=args.expensive and live, probes=args.probes)
    with ExitStack() as stack:
        if args.replay is not None:
            print(f"Replaying the cassettes in {args.replay}: nothing is sent.")
            base_url, key = _REPLAY_URL, _REPLAY_KEY
        elif not live:
            emulator = stack.enter_context(MashaGPTEmulator())
            base_url, key = emulator.base_url, emulator.api_key
            print("No MASHAGPT_API_KEY: checking the bundled emulator (free, local only).")
            if args.expensive:
                print("--expensive is skipped: the emulator has no context window.")
        else:
            print(f"Checking {base_url}.")
            print(estimate(script, models))
            if not args.yes and not _confirmed(ask, interactive or _on_a_terminal):
                return 2
        cassettes = None
        if args.record is not None or args.replay is not None:
            directory = args.record or args.replay
            try:
                cassettes = Cassettes(directory, [key], replay=args.replay is not None)
            except CassettesUnavailable as exc:
                print(f"mashagpt-check: {exc}", file=sys.stderr)
                return 2
        outcomes = run_check(
            base_url=base_url,
            api_key=key,
            models=models,
            steps=script,
            cassettes=cassettes,
            timeout=args.timeout,
            reasoning_model=args.reasoning_model,
            emit=lambda text: print(text, flush=True),
        )
    print(redact(total(outcomes), [key]))
    if args.record is not None:
        print(f"Cassettes saved in {args.record} (key filtered); see docs/check.md to report them.")
    fine = ("ok", "accepted", "refused")
    return 0 if all(outcome.status in fine for outcome in outcomes) else 1


def _on_a_terminal() -> bool:
    """Whether a person can answer on standard input (not a pipe, a file or nothing)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _confirmed(ask: Callable[[str], str], interactive: Callable[[], bool]) -> bool:
    if not interactive():
        print(
            "mashagpt-check: not asking on a non-interactive input; pass --yes to run.",
            file=sys.stderr,
        )
        return False
    try:
        reply = ask("Go on? [y/N] ")
    except EOFError:
        reply = ""
    if reply.strip().lower() in ("y", "yes"):
        return True
    print("Nothing was sent.")
    return False
