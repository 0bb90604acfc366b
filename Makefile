# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv (if missing or stale) and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-projections bench-audit bench-load bench-simulation scenarios clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,service]'
	touch $(STAMP)

demo: $(STAMP)  ## run the worked example on the embedded store (./clearinghouse-store)
	$(BIN)/clearinghouse demo

test: $(STAMP)  ## lint, type-check and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: $(STAMP)  ## end-to-end transfers/s next to the raw eventsourcing append rate
	$(BIN)/python -m bench.transfers

bench-projections: $(STAMP)  ## rebuild the Article 6 projections from 1M events, next to the raw scan rate
	$(BIN)/python -m bench.projections

bench-audit: $(STAMP)  ## verify and replay a 1M-event log, next to the raw scan rate of the same store
	$(BIN)/python -m bench.audit

clean:
	rm -rf $(VENV) clearinghouse-store .pytest_cache .mypy_cache .ruff_cache

bench-load: $(STAMP)  ## N transfers through the HTTP API, workers and relay (PostgreSQL + Redis), next to the raw PostgreSQL append rate
	$(BIN)/python -m bench.load
scenarios: $(STAMP)  ## run every bundled scenario into runs/<name>/ (replacing earlier runs)
	for f in scenarios/*.yaml; do $(BIN)/clearinghouse simulate $$f --force --quiet || exit 1; done

bench-simulation: $(STAMP)  ## ne-asia-trilateral: time and events/s next to the raw store rate
	$(BIN)/python -m bench.simulation
