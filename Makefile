# Alchemiser developer entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: help venv lint typecheck importlint unit test demo demo-down cluster-up cluster-down crds bench clean image

help:
	@echo "make demo          run the whole product locally against the paper exchange"
	@echo "make test          lint, type check and every test (starts the local control plane)"
	@echo "make cluster-up    start the local Kubernetes control plane (.devcluster/)"
	@echo "make cluster-down  stop it"
	@echo "make image         build the image from the Dockerfile (podman; rebuilt only on change), load it into the node"

# The virtual environment is created from the lock file; re-created when the lock changes.
# Dependencies are compiled to bytecode at install time: processes may run with
# PYTHONDONTWRITEBYTECODE=1, and every `alchemiser` start would otherwise recompile them.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench hack
	$(BIN)/ruff format --check src tests bench hack
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy $(wildcard hack/*.py) $(dir $(wildcard hack/*/__init__.py))

importlint: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -m "not kube" -q

test: lint typecheck
	$(BIN)/pytest -q

crds: $(STAMP)
	$(BIN)/alchemiser crds --output crds/

demo: $(STAMP)
	@$(BIN)/python hack/demo.py up

demo-down: $(STAMP)
	@$(BIN)/python hack/demo.py down

image: $(STAMP)
	@$(BIN)/python hack/image.py build
	@$(BIN)/python hack/devcluster.py load-image

cluster-up: $(STAMP)
	@$(BIN)/python hack/devcluster.py up

cluster-down: $(STAMP)
	@$(BIN)/python hack/devcluster.py down

clean: cluster-down
	rm -rf $(VENV) .devcluster .pytest_cache .mypy_cache .ruff_cache
