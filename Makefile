# The two commands of the README, each doing all set-up from nothing:
#   make book   builds the HTML book into _build/html
#   make test   runs every test: the package's unit tests, every chapter under nbval,
#               and the built site in headless Chromium
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX := book/_static/mathjax/tex-chtml.js
MATHJAX_VERSION := 3.2.2
CHROMIUM := /usr/bin/chromium

# Offline copy of MNIST beside the checkout (development and CI); without it the
# package downloads MNIST through Keras.
ifneq ($(wildcard ../shared/datasets/mnist),)
AEGAN_DATA_DIR ?= $(abspath ../shared/datasets/mnist)
export AEGAN_DATA_DIR
endif
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: book test matrix install clean

book: $(STAMP) $(MATHJAX)
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going
	@echo "The book is in _build/html/index.html"

# The quick budget bounds the run. Each chapter executes once: nbval runs it, and the site build
# reuses its outputs (conftest.py). Two phases, each spread over TEST_WORKERS processes
# (pytest-xdist; one file per worker at a time, so a chapter's cells stay in order in one kernel):
# the chapters first, then the tests, whose site build needs every chapter executed. Both phases
# always run; each leaves its JUnit report in _build/junit/. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
JUNIT := _build/junit
test: export AEGAN_BUDGET = quick
test: $(STAMP) $(MATHJAX) $(CHROMIUM)
	@mkdir -p $(JUNIT); status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --junitxml=$(JUNIT)/chapters.xml book || status=$$?; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --junitxml=$(JUNIT)/tests.xml tests || status=$$?; \
	exit $$status

# Every chapter under nbval for seeds 0-2, oneDNN off and the full budget (scripts/chapter_matrix.py);
# the table goes to docs/chapter_matrix.md. MATRIX_ARGS narrows it, e.g. MATRIX_ARGS="--conditions seed1".
matrix: $(STAMP)
	$(PY) scripts/chapter_matrix.py $(MATRIX_ARGS)

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[book,test]"
	touch $@

# MathJax served by the site itself, so math renders offline (from the npm registry).
$(MATHJAX):
	@if command -v npm >/dev/null; then \
	  mkdir -p $(dir $@) && cd $(dir $@) && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && \
	  tar -xzf mathjax-$(MATHJAX_VERSION).tgz --strip-components=2 package/es5/tex-chtml.js package/es5/output/chtml/fonts/woff-v2 && \
	  rm mathjax-$(MATHJAX_VERSION).tgz; \
	else echo "npm not found: the book will load MathJax from its CDN"; fi

# Debian's Chromium for the browser test (never a browser download by a test tool).
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium

clean:
	rm -rf _build .pytest_cache
