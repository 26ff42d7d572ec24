# The two commands: `make run` (the whole system on embedded defaults) and `make test`.
# Each installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install test-install lint graphviz chromium wrk altcha-widget argon2-native

$(BIN)/onboarding: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(MAKE) argon2-native
	touch $@

# Argon2id is most of a log-in's CPU. PyPI's wheel of its C code is built for any x86-64 (SSE2);
# built here for this machine's own CPU (AVX2, AVX-512 where present) one verification at
# OWASP's parameters takes a third to a half of the time. An image built for other machines
# sets ARGON2_CFLAGS=-O3 (portable). Without a C compiler the wheel stays, and works.
ARGON2_CFLAGS ?= -O3 -march=native
argon2-native:
	CFLAGS="$(ARGON2_CFLAGS)" ARGON2_CFFI_USE_SSE2=1 $(BIN)/pip install --quiet --no-cache-dir \
	  --force-reinstall --no-deps --no-binary argon2-cffi-bindings \
	  "argon2-cffi-bindings==$$($(BIN)/python -c 'from importlib.metadata import version; print(version("argon2-cffi-bindings"))')" \
	  || echo "argon2-cffi-bindings: not built here, PyPI's wheel kept"

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
# test drives Chromium; bench/web.py (run small by the tests) drives pages with wrk.
graphviz:
	@command -v dot >/dev/null || (apt-get update && apt-get install -y graphviz)

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

wrk:
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)

install: $(BIN)/onboarding graphviz

test-install: install chromium wrk node_modules/.package-lock.json

run: install
	$(BIN)/onboarding serve

test: test-install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
