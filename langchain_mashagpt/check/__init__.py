"""A live conformance check: does the MashaGPT API answer the way this package assumes?

```
MASHAGPT_API_KEY=... python -m langchain_mashagpt.check --model gpt-4o-mini
```

A short fixed script (a plain answer, streams with and without
`stream_options`, `stop`, `n=2`, function calls, the `select_tool` dispatcher,
a function result, Russian, a bad request and a bad key) prints one line per
step — ok, differs (the field, the expected and the seen shape) or failed —
with the energy it cost. It never retries, never prints the key, stops at the
first refused key, and without a key checks the bundled emulator. With
`--probes` it also asks what the API pages do not promise (`tools`,
`response_format`, an image part, a reasoning model's `reasoning_content`),
each reported as accepted or refused. See `docs/check.md`.
"""

from langchain_mashagpt.check._cli import main
from langchain_mashagpt.check._report import Outcome
from langchain_mashagpt.check._runner import run_check
from langchain_mashagpt.check._shapes import Difference
from langchain_mashagpt.check._steps import PROBES, STEPS, Step, steps

__all__ = ["PROBES", "STEPS", "Difference", "Outcome", "Step", "main", "run_check", "steps"]
