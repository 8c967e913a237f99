# The two commands of the README:  make demo  and  make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The oldest supported Django is tested in its own virtualenv.
OLDEST_DJANGO ?= 4.2
OLD_VENV := .venv-django$(subst .,,$(OLDEST_DJANGO))
DEMO_PORT ?= 8000

.PHONY: demo test test-oldest lint bench screenshot clean

$(BIN)/.installed: setup.cfg pyproject.toml
	.ci/system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	cd example && ../$(BIN)/python manage.py static_url collect
	@echo
	@echo "  Demo site: http://127.0.0.1:$(DEMO_PORT)/   (Ctrl-C stops it)"
	@echo
	cd example && ../$(BIN)/gunicorn demo.wsgi --bind 127.0.0.1:$(DEMO_PORT) --workers 2 --access-logfile -

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(BIN)/.installed lint
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine -q
	$(BIN)/coverage report
	$(MAKE) test-oldest

# The whole suite but the browser tests, on the oldest supported Django.
test-oldest:
	test -x $(OLD_VENV)/bin/python || $(PYTHON) -m venv $(OLD_VENV)
	$(OLD_VENV)/bin/pip install -q -e '.[test]' 'Django~=$(OLDEST_DJANGO).0'
	$(OLD_VENV)/bin/python -m pytest -q -p no:cacheprovider -m 'not browser'

# The README's picture of the demo page, taken by the browser test.
screenshot: $(BIN)/.installed
	SAVE_SCREENSHOT=$(CURDIR)/example/demo-screenshot.png $(BIN)/python -m pytest -q \
		tests/test_browser_cache.py -k demo_page

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(OLD_VENV) .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache
