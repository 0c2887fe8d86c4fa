# One command runs the system, one command tests it. Both work on a fresh machine:
# they start a Docker engine if none answers and build offline base images if no
# registry can be reached (see scripts/).
VENV ?= .venv
PYTHON ?= python3
PYTEST_ARGS ?=
TOX_ARGS ?=
MUTATE_ARGS ?=
SOAK_ARGS ?=
BENCH_ARGS ?=

.PHONY: rehearse up dev down backup restore chapter-times stack-up stack-down cluster-up cluster-down logs test unit mutate soak lint type tox lock bench spec gate-chart spec-results engine images images-and-proxy secrets browser venv clean clean-engine update

# `make` alone lists the targets (it never installs anything): every target with a `## ` comment.
.DEFAULT_GOAL := help
.PHONY: help
help: ## this list
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  %-13s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))

up: images secrets ## build and start webapp, api and db; returns when all are healthy
	docker compose up --build --wait
	@echo "The webapp is up: http://localhost:$$(docker compose port webapp 5000 | cut -d: -f2)"

dev: images secrets ## the stack with file watch: edits to app/ and api/ served live, requirements rebuilt; Ctrl-C stops it
	@echo "make dev: edits under app/ and to api/service.py are served within seconds; Ctrl-C stops the stack, make down removes it."
	docker compose -f docker-compose.yml -f compose.dev.yml up --build --watch

down: ## stop and remove the stack with its data (--volumes: no orphaned anonymous volume is left)
	docker compose down --volumes

backup: ## a dump of the running stack's database, written to backups/<UTC time>.dump (BACKUP_DIR=... elsewhere)
	scripts/backup.sh

restore: ## load FILE=backups/<time>.dump into the running stack's database (FORCE=1: replace its visits)
	FORCE="$(FORCE)" scripts/restore.sh "$(FILE)"

stack-up: ## the same system as a Swarm stack (swarm/stack.yml): 3 webapps behind a proxy, 2 apis, 1 db
	scripts/stack.sh up

stack-down: ## remove the stack with its data; leave the swarm if stack-up made it
	scripts/stack.sh down

# Three Docker engines in privileged containers, one swarm of three managers, a registry beside
# them: scripts/cluster.sh (chapter 19). Needs no swarm on this engine and leaves none.
cluster-up: ## the Swarm stack on three nodes on this machine; the proxy on http://127.0.0.1:8090/
	scripts/cluster.sh up

cluster-down: ## remove the three nodes, their registry, volumes and network
	scripts/cluster.sh down

logs: ## follow the services' output (docker compose logs --follow)
	docker compose logs --follow

# Unless PYTEST_ARGS chose, two sessions of their own follow: the three-node chapter (its nodes
# kill each other: nothing else beside it), then the Swarm chapter (joining or leaving a swarm cuts
# name resolution in the engine's other containers; see conftest.py). In that order because the
# Swarm chapter waits for a rehearsal running beside `make test` (as in the gate) and the
# three-node chapter, whose nodes are engines of their own, need not.
# In parallel (pytest-xdist), one worker more than there are cores: the scenarios spend part of
# their time waiting on containers, and the extra worker fills it (on 2 cores: 245 s instead of
# 285 with one per core, 239 with two more). PYTEST_WORKERS=0 runs them one after the other.
PYTEST_WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN) + 1 )))

test: venv images-and-proxy browser ## the whole specification: unit tests and container scenarios
	mkdir -p reports
	rm -f reports/junit.xml reports/junit-swarm.xml reports/junit-cluster.xml
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --junitxml=reports/junit.xml $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(VENV)/bin/python -m pytest -m cluster --junitxml=reports/junit-cluster.xml)
	$(if $(PYTEST_ARGS),,$(VENV)/bin/python -m pytest -m swarm --junitxml=reports/junit-swarm.xml)

# Pristine Debian machines (privileged containers with engines of their own) get the commit
# under test and run the README's commands: scripts/rehearse.sh, chapter 22. Minutes each.
rehearse: venv ## the README's commands on a fresh bookworm, and an old engine refused (needs root)
	mkdir -p reports
	$(VENV)/bin/python -m pytest -m rehearsal -s --junitxml=reports/junit-rehearsal.xml $(PYTEST_ARGS)

unit: venv ## only the tests that need no Docker engine
	$(VENV)/bin/python -m pytest -m "not container" $(PYTEST_ARGS)

# Verdicts are stored by content in the user's cache folder (tests/mutations/verdicts.py): a mistake
# runs again only when an input of its kill changed, and a sample of the reused ones runs anyway.
# FRESH=1 ignores the store; SHARD=K/N runs every N-th mistake from the K-th (parallel CI jobs).
FRESH ?=
SHARD ?=

mutate: venv images-and-proxy ## plant each catalogued mistake in a scratch copy; fail if any survives the scenarios named for it (FRESH=1: reuse no stored verdict)
	$(VENV)/bin/python -m tests.mutations.run $(if $(filter-out 0,$(FRESH)),--fresh) $(if $(SHARD),--shard $(SHARD)) $(MUTATE_ARGS)

soak: venv images ## run the whole suite many times; a table of the scenarios that ever failed
	$(VENV)/bin/python -m tests.tools.soak $(SOAK_ARGS)

bench: venv images secrets ## this stack beside the tutorial's design: writes BENCHMARKS.md (BENCH_ARGS=--smoke: a quick check)
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

lint: venv ## ruff, hadolint, docker compose config, workflow schema
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" scripts/lint.sh

type: venv ## mypy --strict
	$(VENV)/bin/mypy

tox: venv images browser ## the whole matrix: Python 3.10 to 3.13, lint, type
	PATH="$$(scripts/pyenv-path.sh)$$PATH" $(VENV)/bin/tox $(TOX_ARGS)

lock: venv ## refresh the lock files (exact versions and hashes) from the *.in files
	UV=$(VENV)/bin/uv scripts/lock.sh

chapter-times: venv images-and-proxy browser ## each chapter alone, timed: rewrites the README's column "alone"
	$(VENV)/bin/python -m tests.tools.chapter_times

spec: venv ## rewrite docs/SPECIFICATION.md from the tests' docstrings, and docs/MISTAKES.md from the catalogue
	$(VENV)/bin/python -m tests.tools.specification

gate-chart: venv ## redraw docs/gate-stages.svg from the gate's recorded figures (docs/gate-figures.csv)
	$(VENV)/bin/python -m tests.tools.gate_chart

spec-results: venv ## the specification with each scenario's result from the last `make test`
	$(VENV)/bin/python -m tests.tools.specification --results reports/junit.xml

engine:
	scripts/ensure-engine.sh

images:
	scripts/ensure-images.sh

# The base images and the Swarm stack's proxy: the suite's Swarm chapter deploys it.
images-and-proxy:
	scripts/ensure-images.sh --proxy

secrets: ## the passwords Compose gives the services as secrets (made once, at random, in secrets/)
	scripts/ensure-secrets.sh

browser: ## Debian's Chromium, for the end-to-end scenario of the page
	scripts/ensure-browser.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt requirements-tools.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q -r requirements-dev.txt -r requirements-tools.txt
	touch $@

# What a run killed hard (a runner's timeout, SIGKILL) left: its session never swept.
update: ## bring what the set-up installed up to date, and only that: Debian's Docker packages, the Compose plugin, the base images, then the project's images
	scripts/update.sh

clean-engine: venv ## remove what test sessions that no longer run left on the engine, and unused planted-mistake images
	$(VENV)/bin/python -m tests.support.cleanup

clean: ## the virtual environment, caches, reports, and the project's images built from older sources
	if [ -x $(VENV)/bin/python ] && docker info >/dev/null 2>&1; then $(VENV)/bin/python -m tests.support.cleanup --superseded-images; fi
	rm -rf $(VENV) .pytest_cache reports
