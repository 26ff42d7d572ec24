# The two commands: `make run` (the whole system on embedded defaults) and `make test`.
# Each installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install lint

$(BIN)/onboarding: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The browser test drives Debian's Chromium with axe-core from npm (no browser download).
node_modules/axe-core/axe.min.js: package.json
	npm install --no-audit --no-fund
	touch $@

install: $(BIN)/onboarding node_modules/axe-core/axe.min.js
	command -v chromium || (apt-get update && apt-get install -y chromium)

run: install
	$(BIN)/onboarding serve

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
