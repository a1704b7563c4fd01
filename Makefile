# `make run` and `make test` set up everything they need in .venv, then do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz sample-data clean chromium

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## run the nightly flow on sample_data/ into out/ (the analysts' file is out/cx.duckdb)
## (exit 3, a failed health check after publishing, is reported by cxtext and does not fail make)
run: $(STAMP)
	$(BIN)/cxtext run || [ $$? -eq 3 ]

## Debian's chromium for the report's browser test; installed when missing and we may (root).
## Without it the browser test skips locally and fails in CI.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "note: chromium is not installed; the report's browser test will skip"

## run the test suite
test: $(STAMP) chromium
	$(BIN)/python -m pytest

## the fuzz harness at length (the test suite runs it briefly): FUZZ_EXAMPLES per format, random seeds
FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP)
	CXTEXT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:cacheprovider tests/test_fuzz.py

## lint and format check (ruff, configured in pyproject.toml); CI runs it
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## regenerate sample_data/ from its seed
sample-data: $(STAMP)
	$(BIN)/cxtext sample-data

clean:
	rm -rf out .pytest_cache
