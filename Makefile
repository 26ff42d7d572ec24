# The two commands: `make run` (the whole system on embedded defaults) and `make test`.
# Each installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install test-install lint graphviz chromium altcha-widget

$(BIN)/onboarding: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# From npm: axe-core for the browser test (which drives Debian's Chromium, no browser
# download), openid-client and jose for the OpenID conformance suite (tests/conformance/),
# oidc-provider as the third-party provider the app logs in and out against, and the ALTCHA
# widget, whose copy in web/connect/static/altcha/ a test compares.
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

# After changing the widget's version in package.json: copy its files to where Connect serves them.
ALTCHA_DIST := node_modules/altcha/dist
altcha-widget: node_modules/axe-core/axe.min.js
	cp $(ALTCHA_DIST)/external/altcha.min.js $(ALTCHA_DIST)/external/altcha.css \
	   $(ALTCHA_DIST)/workers/sha.js $(ALTCHA_DIST)/i18n/en.js $(ALTCHA_DIST)/i18n/nl.js \
	   node_modules/altcha/LICENSE.txt web/connect/static/altcha/

# Debian packages: Graphviz draws the state diagrams (also live on the dashboard); the browser
# test drives Chromium.
graphviz:
	@command -v dot >/dev/null || (apt-get update && apt-get install -y graphviz)

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

install: $(BIN)/onboarding graphviz

test-install: install chromium node_modules/.package-lock.json

run: install
	$(BIN)/onboarding serve

test: test-install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
