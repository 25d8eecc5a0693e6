"""The command line: `mashagpt-emulator` / `python -m langchain_mashagpt.testing`.

```
python -m langchain_mashagpt.testing --port 8000 [--host 127.0.0.1] [--api-key KEY]
    [--any-model] [--chunk-delay SECONDS]
```

It prints the base URL and the API key, then serves until Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from langchain_mashagpt.testing._emulator import DEFAULT_API_KEY, MashaGPTEmulator
from langchain_mashagpt.testing._usage import KNOWN_MODELS

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mashagpt-emulator",
        description="Run a local MashaGPT API emulator (POST /v1/chat/completions).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 = any free (default 8000)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the accepted API key")
    parser.add_argument("--any-model", action="store_true", help="accept any model id")
    parser.add_argument(
        "--chunk-delay", type=float, default=0.0, help="seconds between streamed chunks"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground until interrupted; return the exit code."""
    args = _parser().parse_args(argv)
    emulator = MashaGPTEmulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        known_models=None if args.any_model else KNOWN_MODELS,
        chunk_delay=args.chunk_delay,
    )
    try:
        emulator.start()
    except OSError as exc:
        print(
            f"mashagpt-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_signal)
    print(f"MashaGPT emulator listening on {emulator.base_url}", flush=True)
    print(f"API key: {emulator.api_key}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("MashaGPT emulator stopped.", flush=True)
    return 0
