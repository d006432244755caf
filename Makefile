# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6 needs Python 3.12+: take the first suitable interpreter on PATH (or under pyenv).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; break; fi; done)

# make test runs with throwaway, explicit settings so it never depends on a developer's .secret_key.
TEST_ENV := SECRET_KEY=test-only-not-secret DEBUG=0 STATIC_MANIFEST=0 DATABASE_URL= REDIS_URL=

.PHONY: run test e2e lint bench bench-quick bench-check clean install

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Seminar needs Python 3.12 or newer (Django 6). Install it, or run: make PYTHON=/path/to/python3.12 ..." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[scale,test]'
	@touch $@

install: $(VENV)/.installed

.secret_key:
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@ && chmod 600 $@

run: $(VENV)/.installed .secret_key
	@export SECRET_KEY="$$(cat .secret_key)"; \
	$(PY) manage.py migrate --noinput -v0 && \
	$(PY) manage.py collectstatic --noinput -v0 && \
	$(PY) manage.py load_guide guide/data/dangerous-illusion-of-ai-coding.txt && \
	$(PY) manage.py ensure_facilitator && \
	$(PY) manage.py serve_banner --host $(HOST) --port $(PORT) && \
	exec $(PY) manage.py serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	@bin/ensure-chromium $(PY)
	@bin/ensure-nginx
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

e2e: $(VENV)/.installed
	$(TEST_ENV) $(PY) -m pytest -m browser $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) bench/run.py

bench-quick: $(VENV)/.installed
	$(PY) bench/run.py --quick

# The CI gate (under 4 minutes): 1,000 sockets, steady and post now beside the reference;
# fails on a clear regression (bench/run.py `check`).
bench-check: $(VENV)/.installed
	$(PY) bench/run.py --check

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .hypothesis
