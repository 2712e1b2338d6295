# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test env check lint typecheck architecture pytest bench clean

$(BIN)/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

env: $(BIN)/.synced

run: env
	$(BIN)/caremesh migrate
	$(BIN)/caremesh demo load
	$(BIN)/caremesh users demo
	$(BIN)/caremesh up

test: check pytest

check: architecture lint typecheck

architecture: env
	$(BIN)/lint-imports

lint: env
	$(BIN)/ruff check src tests bench

typecheck: env
	$(BIN)/mypy

pytest: env
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: env
	$(BIN)/python bench/events.py
	$(BIN)/python bench/boundary.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
