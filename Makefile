# Set-up needs only Python and make: every target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed-dev

.PHONY: test parity bench lint demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

$(VENV)/.installed-torch: | $(STAMP)
	$(PIP) install --quiet torch==2.13.0
	touch $(VENV)/.installed-torch

test: $(STAMP)
	$(PY) -m pytest -q -n 2 -p no:cacheprovider tests

# the whole suite with the PyTorch oracle installed: tests/parity plus every test that also
# checks its hand-worked answer against torch when torch is importable
parity: $(VENV)/.installed-torch
	$(PY) -m pytest -q -n 2 -p no:cacheprovider tests

bench: $(VENV)/.installed-torch
	$(VENV)/bin/ember bench

# the demo needs the bundled digits (scikit-learn), progress bars (tqdm) and plots (matplotlib)
$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[datasets,train,plot]"
	touch $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(VENV)/bin/ember demo

lint: $(STAMP)
	$(PY) -m ruff check ember tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache runs
