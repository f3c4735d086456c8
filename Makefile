# Entraide Kiné — the two commands a newcomer needs: `make chat` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: chat test check lint typecheck eval bench bench-telegram clean studio preview

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

chat: $(VENV)/.installed
	$(BIN)/entraide chat

test: $(VENV)/.installed-dev
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/mypy
	$(BIN)/entraide check
	$(BIN)/pytest

# The staff studio: a local web page that follows the files (http://127.0.0.1:8765/).
studio: $(VENV)/.installed
	$(BIN)/entraide studio

# The same pages as static files, for a reviewer (open build/preview/index.html).
preview: $(VENV)/.installed
	$(BIN)/entraide preview --out build/preview

check: $(VENV)/.installed
	$(BIN)/entraide check

eval: $(VENV)/.installed
	$(BIN)/entraide eval

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/routing.py

# This bot against a bare python-telegram-bot bot on the fake Bot API (ARGS="--quick").
bench-telegram: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/telegram_bot.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artefacts build/preview
