# Broadsheet: every target stops at its first failed step (bash -e, pipefail).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON_BIN ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
DEMO_POSTS ?= 3000

.PHONY: help run test lint format bench lighthouse setup system-packages browser-packages services services-stop services-status \
        services-reset migrate demo-data local-admin clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

run: setup demo-data local-admin ## Set everything up, then run web, worker and beat in the foreground (Ctrl-C stops all)
	$(PY) -m project.devserver

test: setup browser-packages ## Run the test suite with coverage against real Postgres, Redis and S3
	BROADSHEET_PG_FAST=1 $(PY) -m project.services start
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup ## Benchmarks side by side with their baselines; writes docs/performance.md
	$(PY) -m tests.bench

lighthouse: setup browser-packages ## Lighthouse scores of home, a section, a story and search (mobile, desktop); writes docs/performance.md
	$(PY) -m tests.bench.lighthouse

setup: system-packages $(VENV)/.installed node_modules/.installed project/settings/local.py services migrate ## Install and start everything the site needs

system-packages: ## Install the Debian packages the services need (PostgreSQL, Redis, Node), if missing
	@missing="$$($(PYTHON_BIN) project/services.py apt-packages) $(EXTRA_PACKAGES)"; \
	if [ -n "$${missing// /}" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages; run: sudo apt-get install -y $$missing" >&2; exit 1; \
	  fi; \
	fi

browser-packages: ## Install Debian's chromium for the browser tests, if missing
	@command -v chromium >/dev/null || $(MAKE) system-packages EXTRA_PACKAGES=chromium

$(VENV)/.installed: requirements/base.txt requirements/deploy.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

project/settings/local.py:
	cp -n project/settings/local.py.example $@

services: $(VENV)/.installed node_modules/.installed ## Start Postgres, Redis (broker and cache) and the S3 endpoint (idempotent)
	$(PY) -m project.services start

services-stop: ## Stop the project's services
	$(PY) -m project.services stop

services-status: ## Show whether each service is up
	$(PY) -m project.services status

services-reset: ## Stop the services and delete their data (database, uploads, queues)
	$(PY) -m project.services reset

migrate: ## Apply database migrations
	$(MANAGE) migrate --no-input

demo-data: ## Load demo posts once (DEMO_POSTS=3000); skipped when posts exist
	$(MANAGE) seed_demo --posts $(DEMO_POSTS) --if-empty

local-admin: ## Create the local admin account (admin / admin) if missing, and print it
	$(MANAGE) ensure_local_admin

clean: ## Remove the virtualenv, node_modules and caches (keeps service data)
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .coverage htmlcov staticfiles
