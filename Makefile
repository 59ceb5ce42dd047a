# django-orm-analyzer: the two commands a new user runs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-development
DEMO_DIR := $(CURDIR)/.demo
DEMO_DB := $(DEMO_DIR)/demo.sqlite3
DEMO_BOOKS ?= 60
PYTEST_ARGS ?=

.PHONY: venv demo test lint format serve bench docs requirements requirements-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements/development.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/development.txt
	touch $@

venv: $(STAMP)

demo: venv
	@mkdir -p $(DEMO_DIR)
	@echo "== 1/5 Example project: migrate and load demo data ($(DEMO_DB))"
	cd example_project && SQLITE_PATH=$(DEMO_DB) ../$(BIN)/python manage.py migrate --no-input -v 0
	cd example_project && SQLITE_PATH=$(DEMO_DB) ../$(BIN)/python manage.py seed_demo --books $(DEMO_BOOKS)
	@echo "== 2/5 Static pass: python -m analyzer example_project (one line per finding; --show-fix adds the fix)"
	$(BIN)/python -m analyzer example_project --exit-zero
	@echo "== 3/5 Runtime: the example tests under pytest --detect-nplusone (N+1 sites fail, twins pass)"
	@$(BIN)/pytest example_project -q -p no:cacheprovider --tb=no -rN --junitxml $(DEMO_DIR)/pytest.xml \
		--detect-nplusone --nplusone-report $(DEMO_DIR)/runtime.json > $(DEMO_DIR)/pytest.log \
		|| test $$? -eq 1 || { cat $(DEMO_DIR)/pytest.log; exit 1; }
	@$(BIN)/python example_project/demo_story.py tests --junit $(DEMO_DIR)/pytest.xml --log $(DEMO_DIR)/pytest.log \
		--report $(DEMO_DIR)/runtime.json
	@echo "== 4/5 Middleware: real HTTP requests to the dev server (127.0.0.1) on the demo data"
	$(BIN)/python example_project/demo_requests.py --db $(DEMO_DB) --report $(DEMO_DIR)/middleware.json
	@echo "== 5/5 Confirmation: the static findings of step 2 joined with the runtime report of step 3"
	$(BIN)/python -m analyzer example_project --exit-zero --runtime-report $(DEMO_DIR)/runtime.json
	@$(BIN)/python -m analyzer example_project --exit-zero --runtime-report $(DEMO_DIR)/runtime.json --format json \
		> $(DEMO_DIR)/static.json 2> /dev/null
	@$(BIN)/python example_project/demo_story.py reconcile --static $(DEMO_DIR)/static.json \
		--report $(DEMO_DIR)/runtime.json

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

serve: venv
	cd example_project && ../$(BIN)/python manage.py migrate --no-input -v 0
	cd example_project && ../$(BIN)/python manage.py seed_demo --books $(DEMO_BOOKS)
	@echo "Open http://127.0.0.1:8000/books/: each N+1 is logged here and listed in the debug toolbar's \"N+1 queries\" panel."
	cd example_project && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

bench: venv
	$(BIN)/python benchmarks/runtime_bench.py
	$(BIN)/python benchmarks/static_bench.py

docs: venv
	$(BIN)/python -m analyzer.docs

PIP_COMPILE = $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links

requirements: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --output-file requirements/development.txt requirements/development.in
	$(PIP_COMPILE) --output-file requirements/django42.txt requirements/django42.in

requirements-upgrade: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --upgrade --output-file requirements/development.txt requirements/development.in
	$(PIP_COMPILE) --upgrade --output-file requirements/django42.txt requirements/django42.in

clean:
	rm -rf $(DEMO_DIR) .django-orm-analyzer-cache .pytest_cache .mypy_cache .ruff_cache
