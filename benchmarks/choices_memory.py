"""Memory of a 2xx answer with far more choices than asked for, measured.

    .venv/bin/python benchmarks/choices_memory.py [--choices 300000]

A body of 300,000 small choices (about 25 MB, under the 64 MiB cap) answers a
request for one. Each case runs in a fresh process and prints its peak resident
memory (Linux `VmHWM`) above what it held once the body was built:

- `orjson.loads`: the whole body parsed at once, as the package did before;
- `parse_completion`: the package's parser, which stops at the choice past `n`;
- `invoke over loopback`: a real call against a server on 127.0.0.1 that sends
  the body (the client reads the body within `max_response_bytes`, then parses).

And a legitimate large answer (one choice whose text is 20 MB with commas), to
show the careful path costs little on what it lets through.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MB = 1024 * 1024


def _rss(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def body_of(choices: int) -> bytes:
    choice = {"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": None}
    body = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m"}
    body["choices"] = [choice] * choices
    return json.dumps(body, separators=(",", ":")).encode()


def long_answer() -> bytes:
    text = "Маша, Миша, " * (20 * MB // 20)
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": "stop",
    }
    return json.dumps({"id": "c1", "choices": [choice]}, ensure_ascii=False).encode()


def case(name: str, choices: int) -> None:
    """One measurement, in this (fresh) process."""
    sys.path.insert(0, str(ROOT))
    import orjson

    from langchain_mashagpt import ChatMashaGPT, errors
    from langchain_mashagpt._http.sse import parse_completion

    content = long_answer() if name == "long answer" else body_of(choices)
    base = _rss("VmRSS")
    started = time.perf_counter()
    outcome = "parsed"
    if name == "orjson.loads":
        parsed = orjson.loads(content)
        outcome = f"{len(parsed['choices'])} choices parsed"
    elif name in ("parse_completion", "long answer"):
        try:
            parsed = parse_completion(content, 1)
            outcome = f"{len(parsed['choices'][0]['message']['content'])} characters parsed"
        except errors.APIResponseValidationError as exc:
            outcome = f"refused: {str(exc)[:60]}…"
    else:
        from tests.reliability.hostile import Hostile

        server = Hostile(lambda conn: conn.reply(200, content))
        try:
            ChatMashaGPT(api_key="sk-bench", base_url=server.base_url, max_retries=0).invoke("Hi")
        except errors.APIResponseValidationError as exc:
            outcome = f"refused: {str(exc)[:60]}…"
        finally:
            server.close()
    took = time.perf_counter() - started
    peak = _rss("VmHWM") - base
    print(
        f"{name:24} body {len(content) / MB:5.1f} MB  peak +{max(peak, 0) / MB:6.1f} MB  "
        f"{took:6.2f} s  {outcome}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", type=int, default=300_000)
    parser.add_argument("--case")
    args = parser.parse_args()
    if args.case:
        case(args.case, args.choices)
        return
    for name in ("orjson.loads", "parse_completion", "invoke over loopback", "long answer"):
        command = [sys.executable, __file__, "--case", name, "--choices", str(args.choices)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
