# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install install-dev migrate demo bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

## run: install, migrate, load the demo world, start web (daphne) + worker/beat when Redis is up
run: demo
	PY=$(PY) PORT=$(PORT) scripts/run.sh

## test: the whole suite (unit, app, integration when REDIS_URL is set, browser when chromium exists)
test: install-dev
	$(VENV)/bin/lint-imports && $(PY) -m pytest

bench: install-dev
	$(PY) bench/powerflow.py
	$(PY) bench/projection.py

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .pytest_cache
