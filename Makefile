# Everything runs from a virtual environment in .venv that this Makefile creates.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run sandbox test lint format messages check-messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## set up and run the bot; without a token, the sandbox at http://127.0.0.1:8080
	$(BIN)/peerbot run --sandbox-without-token

sandbox: $(STAMP)  ## the sandbox: try the bot in a browser without Telegram
	$(BIN)/peerbot sandbox

test: $(STAMP)  ## set up and run the whole test suite (lint included)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(STAMP)  ## extract messages and update the Danish and English catalogs
	$(BIN)/python -m bot.i18n.catalogs update

check-messages: $(STAMP)
	$(BIN)/python -m bot.i18n.catalogs check

bench: $(STAMP)  ## run the benchmark; prints a table, writes bench/results.json
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
