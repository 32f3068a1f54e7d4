# Muza: the two commands are `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) $(wildcard web/*.mjs) web/index.html
PYTEST_ARGS ?=

.PHONY: serve serve-nginx test build check install-serve install-all e2e unit clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Serving needs only Flask, gunicorn, WhiteNoise and jsonschema.
$(VENV)/.installed-serve: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

# Tests need everything: the training stack (TensorFlow, tensorflowjs) and Playwright.
$(VENV)/.installed-all: pyproject.toml | $(PY)
	$(PIP) install -e '.[train,test]'
	touch $@ $(VENV)/.installed-serve

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: node_modules/.package-lock.json $(WEB_SOURCES)
	npm run build

build: web/dist/index.html

install-serve: $(VENV)/.installed-serve build
install-all: $(VENV)/.installed-all build

serve: install-serve
	$(VENV)/bin/gunicorn -c server/gunicorn.conf.py 'server:create_app()'

# The production set-up: nginx in the foreground on HOST:PORT (default 127.0.0.1:8080), its
# configuration, catalogue file, pid, logs and temp files in run/nginx (server/nginx.py).
serve-nginx: install-serve
	$(PY) -m server.nginx --out run/nginx --access-log - --error-log - --run

check: node_modules/.package-lock.json
	npm run check

test: install-all check
	npm test
	mkdir -p test-results
	$(PY) -m pytest --junitxml=test-results/junit.xml --durations=30 $(PYTEST_ARGS)

unit: install-all
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

e2e: install-all
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

clean:
	rm -rf web/dist test-results .pytest_cache run
