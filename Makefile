# The two commands README.md promises: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv system-deps lint typecheck pytest spec spec-deps conformance verify bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

system-deps:
	bash scripts/install-system-deps

# Starts a local 3-server ensemble (ports and data dirs chosen for you); Ctrl-C stops it.
run: venv
	$(BIN)/zabkeeper ensemble --size 3

# Every test: lint, types, unit/scenario/simulation/integration tests, the Quint spec and conformance.
test: venv system-deps lint typecheck pytest spec conformance

lint: venv
	$(BIN)/ruff check impl conformance tests bench
	$(BIN)/ruff format --check impl conformance tests bench

typecheck: venv
	$(BIN)/mypy

pytest: venv spec-deps
	$(BIN)/pytest -n 2 -q

# Quint for the tests that run it (the spec's own checks are `make spec`).
spec-deps:
	$(MAKE) -C spec deps

# The Quint spec: typecheck, scenario and bug-variant tests, simulation with every invariant and
# witness, and `quint verify` when an Apalache server is configured (spec/Makefile, spec/README.md).
spec:
	$(MAKE) -C spec ci

verify:
	$(MAKE) -C spec verify

# Replay the committed traces, fresh traces from a random seed (printed), and validate simulator
# runs against the spec.
conformance: venv spec-deps
	$(BIN)/zabkeeper conformance replay --jobs 2 traces/corpus traces/regressions
	$(BIN)/zabkeeper conformance generate --count 16 --max-steps 120 --jobs 2
	$(BIN)/zabkeeper conformance validate --record 2 --steps 150

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
