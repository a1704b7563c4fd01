# `make run` and `make test` set up everything they need in .venv, then do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test sample-data clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## run the nightly flow on sample_data/ into out/ (the analysts' file is out/cx.duckdb)
run: $(STAMP)
	$(BIN)/cxtext run

## run the test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## regenerate sample_data/ from its seed
sample-data: $(STAMP)
	$(BIN)/cxtext sample-data

clean:
	rm -rf out .pytest_cache
