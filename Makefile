# Everything installs into .venv; nothing outside the project folder is touched.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install bytecode run down status test lint pytest bench clean test-compose

install: $(VENV)/.installed bytecode

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) .ci/make_venv.py $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# The sandbox's own modules compiled once here, as pip does for a regular install: an
# editable one has no bytecode, and where PYTHONDONTWRITEBYTECODE is set every `sandbox`
# command (a lab 05 grading runs about twenty) would compile them again. Up to date: 0.05 s.
bytecode: $(VENV)/.installed
	@$(BIN)/python -m compileall -q sandbox app

## the main job: start the whole stack (emulator, PostgreSQL, Redis, app) and show it
run: install
	$(BIN)/sandbox up
	@echo "Stop it with: make down   (or .venv/bin/sandbox down)"

down:
	$(BIN)/sandbox down

status:
	$(BIN)/sandbox status

## lint, type-check and run the whole test suite against real servers
test: install lint pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

## the compose backend on the Docker engine that answers (DOCKER_HOST); skipped when none does
test-compose: install
	$(BIN)/pytest -m compose tests/compose

bench: install
	$(BIN)/python bench/stack_up.py
	$(BIN)/python bench/app_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
