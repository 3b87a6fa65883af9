# The two commands of the README, each doing all set-up from nothing:
#   make book   builds the HTML book into _build/html
#   make test   runs every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Offline copy of MNIST beside the checkout (development and CI); without it the
# package downloads MNIST through Keras.
ifneq ($(wildcard ../shared/datasets/mnist),)
AEGAN_DATA_DIR ?= $(abspath ../shared/datasets/mnist)
export AEGAN_DATA_DIR
endif
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: book test install clean

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going
	@echo "The book is in _build/html/index.html"

test: $(STAMP)
	$(PY) -m pytest

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test]"
	touch $@

clean:
	rm -rf _build .pytest_cache
