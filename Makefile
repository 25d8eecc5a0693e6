# Each target sets up what it needs, so a fresh clone needs only `make demo` or `make test`.
#   .venv       everything: the package editable, tests, lint, docs, build tools (make test, lint…)
#   .venv-demo  the package (the clone on its path) and its runtime dependencies only (make demo)
#   .venv-compat the test environment on the oldest httpx/httpcore/h11, without httpx2 or orjson
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_VENV := .venv-demo
DEMO_PY := $(DEMO_VENV)/bin/python
DEMO_STAMP := $(DEMO_VENV)/.installed-stamp
COMPAT_VENV := .venv-compat
COMPAT_PY := $(COMPAT_VENV)/bin/python
COMPAT_STAMP := $(COMPAT_VENV)/.installed-stamp
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: install test busy-test compat-test lint format demo record bench stress docs docs-serve dist release-check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The demo's environment gets what running the package takes and nothing else: the runtime
# dependencies listed in pyproject.toml, and the clone on its path through a .pth file, as an
# editable install does (so no build backend is installed and run). It skips compiling
# bytecode ahead for files the demo never imports, and skips installing pip into the venv when
# the outer pip can install into another interpreter (pip >= 22.3). Then it imports what the
# demo imports once, writing their bytecode even under PYTHONDONTWRITEBYTECODE=1 (common in
# container images), so no later run compiles them again.
$(DEMO_STAMP): pyproject.toml
	rm -rf $(DEMO_VENV) && mkdir $(DEMO_VENV)
	$(PYTHON) .ci/runtime-deps > $(DEMO_VENV)/requirements.txt
	if $(PYTHON) -m pip --python $(PYTHON) --version >/dev/null 2>&1; then \
	  $(PYTHON) -m venv --without-pip $(DEMO_VENV) && PIP="$(PYTHON) -m pip --python $(DEMO_PY)"; \
	else \
	  $(PYTHON) -m venv $(DEMO_VENV) && PIP="$(DEMO_PY) -m pip"; \
	fi && \
	$$PIP install $(PIP_FLAGS) --no-compile -r $(DEMO_VENV)/requirements.txt
	$(DEMO_PY) -c 'import sys, sysconfig; print(sys.argv[1], file=open(sysconfig.get_path("purelib") + "/langchain_mashagpt_demo.pth", "w"))' "$(CURDIR)"
	cd examples && env -u PYTHONDONTWRITEBYTECODE ../$(DEMO_PY) -c 'import _backend, langchain_core.messages, langchain_core.prompts, langchain_core.tools, langchain_core.runnables, langchain_mashagpt'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(DEMO_PY) examples/quickstart.py

# coverage starts before pytest, so the pytest11 plugin's early import of the package counts too.
# The report is printed whether pytest passed or not; the exit status is still pytest's.
test: $(STAMP)
	$(PY) -m coverage run -m pytest; status=$$?; $(PY) -m coverage report; exit $$status

# The whole suite beside two busy-looping processes (scripts/busy-test): no test may need a fast
# machine.
busy-test: $(STAMP)
	scripts/busy-test

# The package on the oldest HTTP stack it allows (.ci/oldest reads the bounds from pyproject.toml)
# and with neither httpx2 nor orjson, which arrive only through other packages: their fallbacks
# are tested paths. Other packages' own needs for httpx2/orjson (openai, langgraph's SDK) are
# theirs, so the test files that import them (langchain.agents, langchain-tests' standard
# suite, openai's client) are left to `make test`, as are the emulator, framework and docs tests.
$(COMPAT_STAMP): pyproject.toml .ci/oldest
	rm -rf $(COMPAT_VENV)
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_PY) -m pip install $(PIP_FLAGS) -e ".[test]"
	$(COMPAT_PY) -m pip install $(PIP_FLAGS) --no-deps $$($(PYTHON) .ci/oldest)
	$(COMPAT_PY) -m pip uninstall $(PIP_FLAGS) -y httpx2 httpcore2 orjson
	touch $(COMPAT_STAMP)

compat-test: $(COMPAT_STAMP)
	MASHAGPT_TEST_STACK=oldest $(COMPAT_PY) -m pytest tests/unit_tests tests/reliability \
	  tests/check tests/test_stack.py \
	  --ignore=tests/unit_tests/test_agents.py --ignore=tests/unit_tests/test_binding.py \
	  --ignore=tests/unit_tests/test_callbacks.py --ignore=tests/unit_tests/test_clients.py \
	  --ignore=tests/unit_tests/test_response_format.py \
	  --deselect=tests/unit_tests/test_stream_equals_invoke.py::test_agents_that_stream_never_run_a_cut_off_call

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m mypy --python-version 3.14

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Re-records every cassette: live API when MASHAGPT_API_KEY is set, else the bundled emulator.
record: $(STAMP)
	find tests/cassettes -name '*.yaml' -delete
	$(PY) -m pytest tests/integration_tests --record-mode=once
	$(PY) -m pytest tests/integration_tests tests/unit_tests/test_cassettes.py

# Hostile servers at full size (a 200 MB line, a 1 GiB gzip bomb), then the bounds they cost.
stress: $(STAMP)
	MASHAGPT_STRESS=1 $(PY) -m pytest -p no:randomly tests/reliability/test_bounds.py
	$(PY) benchmarks/bounds.py

# Builds site/, then opens it in headless Chromium (.ci/check-site): from files and served,
# every page opens and search works; names do not break mid-word. Chromium must be installed.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict -d site
	$(PY) .ci/check-site site

# The site served over HTTP, as a host serves it: http://127.0.0.1:8001/
DOCS_PORT ?= 8001
docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict -d site
	@echo "serving site/ at http://127.0.0.1:$(DOCS_PORT)/ (Ctrl-C stops)"
	$(PY) -m http.server --bind 127.0.0.1 --directory site $(DOCS_PORT)

bench: $(STAMP)
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/capacity.py --quick

# An sdist and a wheel in dist/, checked by twine.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

# Installs each artifact into a bare environment and runs the quick start against the emulator.
release-check: dist
	.ci/check-dist $(PYTHON) dist

clean:
	rm -rf $(VENV) $(DEMO_VENV) $(COMPAT_VENV) site dist .coverage
