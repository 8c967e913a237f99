# The two commands of the README:  make demo  and  make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Row one of the test matrix, and the development virtualenv: the newest
# Django on the newest Python this machine has (the first found, in order).
NEWEST_DJANGO ?= 6.1
NEWEST_PYTHONS ?= 3.14 3.13
DEMO_VENV ?= .venv-demo
DEMO_PORT ?= 8000

.PHONY: demo test system-packages dev lint docs dist test-newest test-django60 \
	test-django52 bench screenshot clean

# The demo needs the package, whitenoise and gunicorn; nothing else.
demo:
	.ci/system-packages --demo
	.ci/venv $(DEMO_VENV) $(PYTHON) '.[whitenoise]' 'gunicorn>=23'
	cd example && ../$(DEMO_VENV)/bin/python manage.py collectstatic --noinput
	@echo
	@echo "  Demo site: http://127.0.0.1:$(DEMO_PORT)/   (Ctrl-C stops it)"
	@echo
	cd example && ../$(DEMO_VENV)/bin/gunicorn demo.wsgi --bind 127.0.0.1:$(DEMO_PORT) \
		--workers 2 --access-logfile -

# Lint, types, the docs, the release artifact, then the whole suite on every
# supported row, one after the other, each in its own virtualenv.
test: system-packages lint docs dist test-newest test-django60 test-django52

system-packages:
	.ci/system-packages

dev:
	@python=$$(.ci/find-python $(NEWEST_PYTHONS)) || { \
		echo "No Python $(NEWEST_PYTHONS) here: the newest row needs one." >&2; exit 1; }; \
	.ci/venv $(VENV) "$$python" -e '.[test,docs]' 'Django==$(NEWEST_DJANGO).*'

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

docs: dev
	rm -rf docs/_build
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html

# The sdist and wheel users would get, checked, and the wheel installed into
# a fresh virtualenv (no checkout on its path) for a smoke test.
dist: dev
	rm -rf dist build
	$(BIN)/python -m build -q . >/dev/null
	$(BIN)/twine check --strict dist/*
	$(BIN)/check-wheel-contents dist/*.whl
	.ci/wheel-smoke $(BIN)/python dist/*.whl 'Django==$(NEWEST_DJANGO).*'

test-newest: dev
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

test-django60: system-packages
	.ci/test-row 6.0 3.12

test-django52: system-packages
	.ci/test-row 5.2 3.11

# The README's picture of the demo page, taken by the browser test.
screenshot: dev
	SAVE_SCREENSHOT=$(CURDIR)/example/demo-screenshot.png $(BIN)/python -m pytest -q \
		tests/test_browser_cache.py -k "demo_page and gunicorn"

bench: system-packages dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO_VENV) .venv-django* build dist docs/_build .coverage .coverage.* \
		.mypy_cache .ruff_cache .pytest_cache
