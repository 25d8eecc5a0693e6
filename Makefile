# Each target sets up .venv when needed, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint format demo record bench stress docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# coverage starts before pytest, so the pytest11 plugin's early import of the package counts too.
test: $(STAMP)
	$(PY) -m coverage run -m pytest
	$(PY) -m coverage report

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

demo: $(STAMP)
	$(PY) examples/quickstart.py

# Re-records every cassette: live API when MASHAGPT_API_KEY is set, else the bundled emulator.
record: $(STAMP)
	find tests/cassettes -name '*.yaml' -delete
	$(PY) -m pytest tests/integration_tests --record-mode=once
	$(PY) -m pytest tests/integration_tests tests/unit_tests/test_cassettes.py

# Hostile servers at full size (a 200 MB line, a 1 GiB gzip bomb), then the bounds they cost.
stress: $(STAMP)
	MASHAGPT_STRESS=1 $(PY) -m pytest -p no:randomly tests/reliability/test_bounds.py
	$(PY) benchmarks/bounds.py

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict -d site

bench: $(STAMP)
	$(PY) benchmarks/bench.py

clean:
	rm -rf $(VENV) site .coverage
