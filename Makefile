SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed

.PHONY: run serve test browser check lint migrate install clean bench

## Install into .venv, migrate, create demo data, then start web + worker + dispatcher + mail sink.
run: install migrate
	@$(MANAGE) seed_demo
	@echo "Starting web (http://127.0.0.1:8000/admin/), task cluster, dispatcher and mail sink; Ctrl-C stops them all."
	@trap 'trap - INT TERM EXIT; kill 0 2>/dev/null' INT TERM EXIT; \
	$(MANAGE) mailsink & \
	$(MANAGE) qcluster & \
	$(MANAGE) dispatcher & \
	$(MANAGE) runserver 127.0.0.1:8000 --noreload & \
	wait -n || true

## Production web server: migrate, collect static files, then gunicorn (deploy/gunicorn.conf.py)
## on SERVE_ADDRESS. Workers and dispatchers run beside it (see README, Deployment).
SERVE_ADDRESS ?= 127.0.0.1:8000
serve: install migrate
	$(MANAGE) collectstatic --noinput --verbosity 0
	WEB_BIND=$(SERVE_ADDRESS) exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py

## Install and run the whole test suite (plus lint and migration checks).
test: install browser check
	$(BIN)/pytest

## Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Benchmarks: print each figure as `name: value unit` and keep them in bench/last-run.json.
## They need PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/engage_bench).
bench: install
	$(BIN)/python bench/selection.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
	$(BIN)/python bench/contact_import.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/latency.py --database-url $(or $(BENCH_DATABASE_URL),postgres://postgres@127.0.0.1:5432/engage_bench) \
	  --redis-url $(or $(BENCH_REDIS_URL),redis://127.0.0.1:6379/1)
	$(BIN)/python bench/pipeline.py --database-url $(or $(BENCH_DATABASE_URL),postgres://postgres@127.0.0.1:5432/engage_bench) \
	  --redis-url $(or $(BENCH_REDIS_URL),redis://127.0.0.1:6379/1)
	$(BIN)/python bench/sendout.py
	$(BIN)/python bench/sendout.py --database-url $(or $(BENCH_DATABASE_URL),postgres://postgres@127.0.0.1:5432/engage_bench) \
	  --redis-url $(or $(BENCH_REDIS_URL),redis://127.0.0.1:6379/1)
	$(BIN)/python bench/api_ingest.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
	$(BIN)/python bench/salesforce_inbound.py
	$(BIN)/python bench/dashboard.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
	$(BIN)/python bench/recover.py --database-url $(or $(BENCH_DATABASE_URL),postgres://postgres@127.0.0.1:5432/engage_bench) \
	  --redis-url $(or $(BENCH_REDIS_URL),redis://127.0.0.1:6379/1)
	$(BIN)/python bench/load.py --database-url $(or $(BENCH_DATABASE_URL),postgres://postgres@127.0.0.1:5432/engage_bench) \
	  --redis-url $(or $(BENCH_REDIS_URL),redis://127.0.0.1:6379/1)
	$(BIN)/python bench/activecampaign_sync.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))

check: install
	$(BIN)/ruff check .
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

install: $(STAMP) .env

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

.env:
	cp .env.example .env

clean:
	rm -rf $(VENV) var
