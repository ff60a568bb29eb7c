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
# Each lock after the ones it is constrained by (the `-c` lines of its .in).
LOCK_ORDER := base deploy compose s3 dev
LOCKS := $(foreach name,$(LOCK_ORDER),requirements/$(name).txt)

.PHONY: help run test lint format bench lighthouse setup system-packages browser-packages checker-packages bench-packages services services-stop \
        services-status services-reset migrate demo-data local-admin clean stack stack-stop stack-status loadtest faults soak \
        compose-test scaling lock audit backup backup-info restore-check migration-check

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

run: setup demo-data local-admin ## Set everything up, then run web, worker and beat in the foreground (Ctrl-C stops all)
	$(MANAGE) check_media_bucket
	$(PY) -m project.devserver

test: setup browser-packages checker-packages node_modules/.installed ## Run the test suite with coverage against real Postgres, Redis and S3
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

bench: setup bench-packages ## Benchmarks side by side with their baselines; writes docs/performance.md
	$(PY) -m tests.bench

lighthouse: setup browser-packages node_modules/.installed ## Lighthouse scores of every page type (mobile, desktop), aborted runs retried; writes docs/performance.md
	$(PY) -m tests.bench.lighthouse

setup: system-packages $(VENV)/.installed project/settings/local.py services migrate ## Install and start everything the site needs

system-packages: ## Install the Debian packages the services need (PostgreSQL, Redis, nginx, Varnish), if missing
	@missing="$$($(PYTHON_BIN) project/services/programs.py) $(EXTRA_PACKAGES)"; \
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

checker-packages: ## Install Debian's Java for the Nu HTML checker of the tests (npm's vnu-jar), if missing
	@command -v java >/dev/null || $(MAKE) system-packages EXTRA_PACKAGES=default-jre-headless

bench-packages: ## Install Debian's wrk for the benchmarks, if missing
	@command -v wrk >/dev/null || $(MAKE) system-packages EXTRA_PACKAGES=wrk

# dev.txt holds every package of the virtualenv, each pinned with its hashes:
# pip refuses anything else (--require-hashes), and --no-deps because the lock
# already lists every dependency. pip itself is the one Debian's venv ships.
$(VENV)/.installed: $(LOCKS)
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	touch $@

lock: $(VENV)/.installed ## Compile requirements/*.in into hashed *.txt locks (UPGRADE=1 also upgrades the pins)
	@for name in $(LOCK_ORDER); do \
	  $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	    --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
	    requirements/$$name.in --output-file requirements/$$name.txt; \
	done

# Node only for Lighthouse (make lighthouse) and the Nu HTML checker's jar
# (make test): exactly what package-lock.json pins. --ignore-scripts: the one
# install script, vnu-jar's, would download a Java runtime; Debian's is used.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) system-packages EXTRA_PACKAGES="nodejs npm"
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

project/settings/local.py:
	cp -n project/settings/local.py.example $@

services: $(VENV)/.installed ## Start Postgres and its replica, Redis (broker and cache) and the S3 server (idempotent)
	$(PY) -m project.services start

services-stop: ## Stop the project's services
	$(PY) -m project.services stop

services-status: ## Show whether each service is up
	$(PY) -m project.services status

services-reset: ## Stop the services and delete their data (database, uploads, queues)
	$(PY) -m project.services reset

stack: setup ## The deployed shape on loopback: nginx, Varnish, two gunicorn app servers, Celery workers and beat, own services
	$(PY) -m project.services.stack start

stack-stop: ## Stop everything `make stack` started
	$(PY) -m project.services.stack stop

stack-status: ## Show whether each part of the stack is up
	$(PY) -m project.services.stack status

loadtest: stack ## Readers and editors against the stack (LOADTEST_SECONDS=60); writes docs/reliability.md
	$(PY) -m tests.stack.load

faults: stack ## Kill each service under load and check what must hold (FAULT_SECONDS=40 each); writes docs/reliability.md
	$(PY) -m tests.stack.faults

soak: stack ## A long run sampling worker RSS and Redis memory (SOAK_SECONDS=600); writes docs/reliability.md
	$(PY) -m tests.stack.soak

scaling: stack ## 1 and 2 app servers, reads on the primary or the replica (SCALING_SECONDS=20 each); writes docs/scaling.md
	$(PY) -m tests.stack.scaling

backup: ## A backup of the stack's primary by hand (BACKUP_TYPE=incr, or full or diff), with pgBackRest
	$(PY) -m project.services.backups backup $${BACKUP_TYPE:-incr}

backup-info: ## The stack primary's backups (pgBackRest)
	$(PY) -m project.services.backups info

restore-check: setup ## Restore the stack primary's latest backup and a point in time into scratch clusters, check them with Django
	$(PY) -m tests.stack.restore_check

migration-check: setup ## Migrations on a copy of the 1M bench database under readers and editors; writes docs/reliability.md
	$(PY) -m tests.bench.migration

migrate: ## Apply database migrations
	$(MANAGE) migrate --no-input

demo-data: ## Load demo posts once (DEMO_POSTS=3000); skipped when posts exist
	$(MANAGE) seed_demo --posts $(DEMO_POSTS) --if-empty

local-admin: ## Create the local admin account (admin / admin) if missing, and print it
	$(MANAGE) ensure_local_admin

audit: $(VENV)/.installed ## Check the locked Python and npm packages for known vulnerabilities (skips a database that does not answer)
	@command -v npm >/dev/null || $(MAKE) system-packages EXTRA_PACKAGES="nodejs npm"
	$(PY) .ci/audit.py

compose-test: $(VENV)/.installed ## Start docker-compose.yml for real on a Docker engine of its own; exit 77 if none can run here
	$(PY) -m tests.compose.run

clean: ## Remove the virtualenv, node_modules and caches (keeps service data)
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .coverage htmlcov staticfiles
